/**
 * nginx and the Node edge, on the same route table and in front of the same two backends, must choose
 * the same backend and forward the same bytes for every request target, or refuse it with the same
 * status. A corpus of odd targets goes over raw sockets (no client library normalizes them first).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nginxSupport, writeNginxConfig } from '../../gateway/nginx/index.ts';
import { forEachLine } from '../../gateway/process/index.ts';
import { loadRouteTable } from '../../gateway/routes/index.ts';
import { freePort, ROOT, spawnServer, stopChild, tempDir, waitForPort } from '../helpers/processes.ts';
import { randomRoutes, WILDCARD_PROBES } from '../helpers/random-table.ts';
import { startRawServer } from '../helpers/raw-server.ts';

const SUPPORT = nginxSupport();

const TABLE = `version: 1
backends:
  legacy: { url: "http://127.0.0.1:\${LEGACY_PORT}" }
  ts: { url: "http://127.0.0.1:\${TS_PORT}" }
routes:
  - { path: /, mode: legacy }
  - { path: /api/v1/boards, exact: true, mode: next, handler: boards, methods: [GET] }
  - { path: /api/v1/threads, mode: next, handler: threads, methods: [GET] }
  - { path: /api/v1/threads/archive, mode: legacy }
  - { path: /static/, mode: next, handler: assets }
  - { path: /v1.2, mode: next, handler: versioned }
  - { path: "/@user", mode: next, handler: users }
  - { path: "/api/v1/boards/*/threads", exact: true, mode: next, handler: boardThreads }
  - { path: "/api/v1/threads/*/posts", mode: legacy }
  - { path: "/v1.2/*/x+y", mode: legacy }
`;

// ---- the corpus -------------------------------------------------------------------------------

const BASES = [
  '/',
  '/api/v1/boards',
  '/api/v1/threads',
  '/api/v1/threads/7',
  '/api/v1/threads/archive/2',
  '/static/app.css',
  '/v1.2/x',
  '/@user/me',
  '/b/general',
  '/_internal/v1/boards',
  '/api/v1/boards/general/threads',
  '/api/v1/threads/7/posts/1',
  '/v1.2/a/x+y',
];

/** Ways to write the same (or a nearly the same) path that a front door must see through. */
const MUTATIONS: Record<string, (path: string) => string> = {
  'as is': (p) => p,
  'trailing slash': (p) => `${p}/`,
  'repeated slashes': (p) => p.replaceAll('/', '//'),
  'dot segment': (p) => `/.${p}`,
  'dot-dot segment': (p) => `/x/y/..${p.replace(/^\//, '/../')}`,
  'encoded letter': (p) => p.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`),
  'encoded letter, upper hex': (p) => p.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
  'encoded slash': (p) => p.replace(/(.)\//, '$1%2F'),
  'encoded dot-dot': (p) => `/x/%2E%2E${p}`,
  'encoded dot-dot with encoded slash': (p) => `/x%2F%2e%2e${p}`,
  'upper case': (p) => p.toUpperCase(),
  'query string': (p) => `${p}?page=2&q=a%20b&x=%zz/../`,
  'empty query': (p) => `${p}?`,
  'matrix params': (p) => `${p};jsessionid=1`,
  fragment: (p) => `${p}#top`,
  'absolute form': (p) => `http://front.test${p}`,
  'encoded percent': (p) => `${p}%25`,
  'encoded question mark': (p) => `${p}%3Fx`,
  'encoded hash': (p) => `${p}%23x`,
  'encoded non-ASCII': (p) => `${p}caf%C3%A9`,
  'raw non-ASCII': (p) => `${p}caf\u00c3\u00a9`,
  'raw quote and braces': (p) => `${p}a"{b}|c`,
  'encoded quote and braces': (p) => `${p}a%22%7Bb%7D`,
  'encoded space': (p) => `${p}%20x`,
  'NUL escape': (p) => `${p}%00`,
  'invalid escape': (p) => `${p}%zz`,
  'truncated escape': (p) => `${p}%4`,
  'climbs above root': (p) => `/..${p}`,
};

const EXTRA = [
  '/_INTERNAL',
  '/_Internal/x',
  '/%5Finternal',
  '/%5finternal/v1',
  '/x/../_internal',
  '/api/..%2F_internal/v1',
  '/_internalx',
  '//_internal',
  '/.%2e/_internal',
  '/%2E/_internal',
  '/_internal%2F',
  '/static',
  '/static/',
  '/Static/x',
  '/api/v1/threadsX',
  '/api/v1/thread',
  '/api/v1/threads/archive',
  '/api/v1/threads/archived',
  '/api/v1/boards/',
  '/api/v1/boards/x',
  '/v1.2',
  '/v1.2/',
  '/v1%2E2/x',
  '/v1.20',
  '/%40user',
  '/@user',
  '/@users',
  '/.',
  '/..',
  '/...',
  '/a/.',
  '/a/..',
  '/a/...',
  '/a/b/c/../../..',
  '/a/b/c/../../../..',
  'http://front.test',
  'http://front.test?x=1',
  'HTTP://front.test:80/api/v1/threads/1',
  'http://front.test/a/../api/v1/boards',
  '/%2F',
  '/%2F%2F/api/v1/boards',
  '/api/v1/boards%2F',
  '/api/v1/boards?',
  '/api/v1/boards?x#y',
  '/api/v1/threads/%37',
  '/api/v1/threads/7%2F..%2F8',
  '/+',
  '/a+b',
  '/%7E',
  '/~user',
  "/'quoted'",
  '/(paren)',
  '/*',
  '/a,b;c=d',
  '/%01',
  '/%7F',
  '/%FF',
  '/\u00ff',
  // Escaped reserved characters: sent upstream as written unless a segment is empty or a dot segment.
  '/api/v1/threads/a%2Fb',
  '/api/v1/threads/a%2fb?x=%2F',
  'http://front.test/api%2Fv1/boards',
  '/static/a%5Cb',
  '/b/x%3By%40z',
  '/api/v1/threads/a%2F',
  '/a%2F%2e%2e/api/v1/boards',
  '/a%2Fb?',
  '/a%2Fb#c',
  '/a%2F/b',
  '/a%2Fb/./c',
  // Segment patterns: one non-empty segment per '*', on the normalized path ('%2F' is a separator there).
  '/api/v1/boards/a%2Fb/threads',
  '/api/v1/boards//threads',
  '/api/v1/boards/*/threads',
  '/api/v1/boards/a.b/threads/',
  '/api/v1/boards/x/threads%0A',
  '/api/v1/boards/x%0A/threads',
  '/api/v1/boards/a{b}/./threads',
  '/api/v1/boards/a%7Bb%7D/threads',
  '/api/v1/boards/%2E%2E/threads',
  '/api/v1/boards/x/%74hreads?q=1',
  '/api/v1/threads/7/posts',
  '/api/v1/threads/7/postsX',
  '/api/v1/threads/7/8/posts',
  '/api/v1/threads//posts',
  '/v1.2/a/xxy',
  '/v1.2/a/x+y/z',
  '/v1.2/%2F/x+y',
];

const CORPUS = [...new Set([...BASES.flatMap((base) => Object.values(MUTATIONS).map((mutate) => mutate(base))), ...EXTRA])];

// ---- a raw echo backend: it accepts any bytes in the request line and reports them exactly ----------

interface RawEcho {
  readonly port: number;
  close(): Promise<void>;
}

function startRawEcho(name: string): Promise<RawEcho> {
  return startRawServer((socket) => {
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      // Several requests may arrive on one kept-alive connection; the corpus sends no bodies.
      for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.subarray(0, end).toString('latin1');
        buffered = buffered.subarray(end + 4);
        const target = head.slice(0, head.indexOf('\r\n')).split(' ')[1] ?? '';
        const body = JSON.stringify({ backend: name, target: Buffer.from(target, 'latin1').toString('base64') });
        socket.write(`HTTP/1.1 200 OK\r\nX-Backend: ${name}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      }
    });
  });
}

// ---- sending one target over a raw socket ----------------------------------------------------------

/** What a front door did with a target: `legacy <bytes forwarded>`, `ts <bytes forwarded>` or `status N`. */
function outcome(port: number, target: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('connect', () => socket.write(Buffer.from(`GET ${target} HTTP/1.1\r\nHost: front.test\r\nConnection: close\r\n\r\n`, 'latin1')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    socket.on('error', (err) => resolve(`error ${err.message}`));
    socket.on('close', () => {
      const response = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1] ?? 'none';
      const body = response.slice(response.indexOf('\r\n\r\n') + 4);
      if (status !== '200' || !/\r\nX-Backend: /i.test(response)) return resolve(`status ${status}`);
      const echoed = JSON.parse(body) as { backend: string; target: string };
      resolve(`${echoed.backend} ${Buffer.from(echoed.target, 'base64').toString('latin1')}`);
    });
  });
}

async function outcomes(port: number, targets: readonly string[]): Promise<string[]> {
  const results: string[] = [];
  const BATCH = 16;
  for (let i = 0; i < targets.length; i += BATCH) results.push(...(await Promise.all(targets.slice(i, i + BATCH).map((target) => outcome(port, target)))));
  return results;
}

// ---- the test --------------------------------------------------------------------------------------

interface FrontDoors {
  readonly nginxPort: number;
  readonly edgePort: number;
  stop(): Promise<void>;
}

/** nginx on the generated config and the Node edge process, both on the table in `routesFile`. */
async function startFrontDoors(dir: string, routesFile: string, env: Record<string, string>): Promise<FrontDoors> {
  const nginxPort = await freePort();
  const conf = writeNginxConfig(loadRouteTable(routesFile, env), { listenHost: '127.0.0.1', listenPort: nginxPort, prefix: dir, outDir: dir, workerProcesses: 1 });
  const output: string[] = [];
  const child = spawn(SUPPORT.ok ? SUPPORT.binary : 'nginx', ['-p', dir, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  forEachLine(child.stderr, (line) => output.push(line));
  if (!(await waitForPort('127.0.0.1', nginxPort, 10_000))) {
    await stopChild(child);
    throw new Error(`nginx did not start:\n${output.join('\n')}`);
  }
  const edge = await spawnServer({
    name: 'edge',
    command: process.execPath,
    args: ['--import', 'tsx', join(ROOT, 'gateway/edge/main.ts')],
    env: { ...env, ROUTES: routesFile, FRONT_PORT: '0' },
  }).catch(async (err: unknown) => {
    await stopChild(child);
    throw err;
  });
  return { nginxPort, edgePort: edge.port, stop: async () => void (await Promise.all([stopChild(child), edge.stop()])) };
}

/** Targets on which the two front doors disagree, with what each did. */
async function disagreements(doors: FrontDoors, targets: readonly string[]): Promise<{ target: string; nginx: string; edge: string }[]> {
  const [viaNginx, viaEdge] = await Promise.all([outcomes(doors.nginxPort, targets), outcomes(doors.edgePort, targets)]);
  return targets.flatMap((target, i) => (viaNginx[i] === viaEdge[i] ? [] : [{ target, nginx: viaNginx[i]!, edge: viaEdge[i]! }]));
}

describe.skipIf(!SUPPORT.ok)(`nginx and the Node edge agree${SUPPORT.ok ? '' : ` (skipped: ${SUPPORT.reason})`}`, () => {
  let legacy: RawEcho;
  let ts: RawEcho;
  let doors: FrontDoors;
  let cleanup: () => void;

  beforeAll(async () => {
    [legacy, ts] = await Promise.all([startRawEcho('legacy'), startRawEcho('ts')]);
    const temp = tempDir('strangler-differential-');
    cleanup = temp.cleanup;
    const routes = join(temp.dir, 'routes.yaml');
    writeFileSync(routes, TABLE);
    doors = await startFrontDoors(temp.dir, routes, { LEGACY_PORT: String(legacy.port), TS_PORT: String(ts.port), LOG_LEVEL: 'warn' });
  });

  afterAll(async () => {
    await doors?.stop();
    await Promise.all([legacy?.close(), ts?.close()]);
    cleanup?.();
  });

  it(`sends each of ${CORPUS.length} request targets to the same backend with the same path, or refuses it with the same status`, async () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(200);
    expect(await disagreements(doors, CORPUS)).toEqual([]);

    // The corpus is only a judge if it reaches every kind of outcome.
    const viaNginx = await outcomes(doors.nginxPort, CORPUS);
    const kinds = new Set(viaNginx.map((result) => (result.split(' ')[0] === 'status' ? result : result.split(' ')[0])));
    expect([...kinds].sort()).toEqual(['legacy', 'status 400', 'status 404', 'ts']);
  });

  it('forwards what nginx forwards for a few targets worked out by hand', async () => {
    const cases: Record<string, string> = {
      '/api/v1/%74hreads/./x/..//7?a=1': 'ts /api/v1/threads/7?a=1',
      '/api/v1/threads/7%2F..%2F8': 'ts /api/v1/threads/8',
      '/api/v1/threads/caf%C3%A9': 'ts /api/v1/threads/caf%C3%A9',
      '/api/v1/threads/a%22b': 'ts /api/v1/threads/a%22b',
      '/api/v1/threads/a"b': 'ts /api/v1/threads/a"b',
      '/api/v1/threads/archive/%31': 'ts /api/v1/threads/archive/1', // a listed legacy route: via TS
      '/static': 'legacy /static',
      '/%5Finternal/v1': 'status 404',
      '/a/%00': 'status 400',
      // A pattern route goes to its side with the normalized path re-escaped (nginx's rewrite), or as sent.
      '/api/v1/boards/gen%65ral/./threads?x=1': 'ts /api/v1/boards/general/threads?x=1',
      '/api/v1/boards/a{b}/./threads': 'ts /api/v1/boards/a%7Bb%7D/threads',
      '/api/v1/boards/a{b}/threads': 'ts /api/v1/boards/a%7Bb%7D/threads',
      '/api/v1/boards/a%2Fb/threads': 'legacy /api/v1/boards/a%2Fb/threads',
      '/api/v1/boards/x/threads/1': 'legacy /api/v1/boards/x/threads/1',
      '/api/v1/threads/7/posts/1': 'ts /api/v1/threads/7/posts/1', // a listed legacy pattern route: via TS
      '/api/v1/threads/7/postsX': 'ts /api/v1/threads/7/postsX',
    };
    const targets = Object.keys(cases);
    expect(await outcomes(doors.nginxPort, targets)).toEqual(Object.values(cases));
    expect(await outcomes(doors.edgePort, targets)).toEqual(Object.values(cases));
  });
});

// ---- random tables -----------------------------------------------------------------------------

/** A valid random table text: the test table's head and default route, and up to `count` random routes. */
function randomTableText(seed: number, { count = 10, patterns = false } = {}): string {
  const head = TABLE.slice(0, TABLE.indexOf('routes:\n') + 'routes:\n'.length) + '  - { path: /, mode: legacy }\n';
  return head + randomRoutes({ seed, count, patterns, wrap: (lines) => head + lines, env: { LEGACY_PORT: '1', TS_PORT: '2' } });
}

/** A route path as request paths: itself, with each `*` filled by every kind of segment in WILDCARD_PROBES. */
const fillWildcards = (path: string): string[] => (path.includes('*') ? WILDCARD_PROBES.map((segment) => path.replaceAll('*', segment)) : [path]);

describe.skipIf(!SUPPORT.ok)('nginx and the Node edge agree on random tables', () => {
  const plain = { count: 10, patterns: false };
  it.each([
    [7, 'prefix and exact routes', plain],
    [21, 'prefix and exact routes', plain],
    [42, 'prefix and exact routes', plain],
    [5, 'segment patterns', { count: 16, patterns: true }],
    [11, 'segment patterns', { count: 16, patterns: true }],
    [29, 'segment patterns', { count: 16, patterns: true }],
  ])('agrees on every probe of the random table with seed %i (%s)', async (seed, _kind, shape) => {
    const [legacy, ts] = await Promise.all([startRawEcho('legacy'), startRawEcho('ts')]);
    const { dir, cleanup } = tempDir('strangler-differential-random-');
    const text = randomTableText(seed, shape);
    const routesFile = join(dir, 'routes.yaml');
    writeFileSync(routesFile, text);
    const env = { LEGACY_PORT: String(legacy.port), TS_PORT: String(ts.port), LOG_LEVEL: 'warn' };
    const table = loadRouteTable(routesFile, env);
    const doors = await startFrontDoors(dir, routesFile, env);
    try {
      const bases = table.routes
        .flatMap(({ path }) => fillWildcards(path))
        .flatMap((path) => [path, path.replace(/\/$/, '') || '/', `${path.replace(/\/$/, '')}x`, `${path.replace(/\/$/, '')}/deeper`]);
      if (shape.patterns) expect(table.routes.filter(({ path }) => path.includes('*')).length).toBeGreaterThanOrEqual(3);
      const probes = [
        ...new Set(
          bases.flatMap((base) =>
            [
              MUTATIONS['as is']!,
              MUTATIONS['trailing slash']!,
              MUTATIONS['encoded letter']!,
              MUTATIONS['encoded dot-dot']!,
              MUTATIONS['upper case']!,
              MUTATIONS['encoded slash']!,
            ].map((mutate) => mutate(base)),
          ),
        ),
      ];
      expect(probes.length).toBeGreaterThan(20);
      expect({ table: text, disagreements: await disagreements(doors, probes) }).toEqual({ table: text, disagreements: [] });
    } finally {
      await doors.stop();
      await Promise.all([legacy.close(), ts.close()]);
      cleanup();
    }
  });
});
