/**
 * The nginx front door on the generated config: `nginx -t` accepts every shape of table the generator
 * can be given, and a real nginx in front of two echo backends routes, strips forged headers, mints
 * request ids and answers its own errors with the static pages.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACCESS_FIELDS } from '../../gateway/access/index.ts';
import { DEFAULT_PAGES_DIR, nginxSupport, writeNginxConfig } from '../../gateway/nginx/index.ts';
import { forEachLine } from '../../gateway/process/index.ts';
import { forwardTargetFor, isInternalPath, normalizeTarget, parseRouteTable } from '../../gateway/routes/index.ts';
import type { RouteTable } from '../../gateway/routes/types.ts';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { freePort, stopChild, tempDir, waitForPort } from '../helpers/processes.ts';
import { randomRoutes, WILDCARD_PROBES } from '../helpers/random-table.ts';

const SUPPORT = nginxSupport();
const NGINX = SUPPORT.ok ? SUPPORT.binary : 'nginx';

const tableText = (routes: string, settings = '', ports = { legacy: 8090, ts: 8081 }): string => `version: 1
backends:
  legacy: { url: "http://127.0.0.1:${ports.legacy}" }
  ts: { url: "http://127.0.0.1:${ports.ts}" }
${settings}routes:
  - { path: /, mode: legacy }
${routes}`;

// Many shapes: prefixes, exact routes, trailing-slash prefixes, nested overrides, every allowed character.
const SHAPES: Record<string, string> = {
  'only the default route': '',
  'only legacy routes': '  - { path: /a, mode: legacy }\n  - { path: /b/, mode: legacy }\n  - { path: /c, exact: true, mode: legacy }\n',
  'exact and prefix on one path': '  - { path: /x, exact: true, mode: legacy }\n  - { path: /x, mode: next, handler: x }\n',
  'exact root': '  - { path: /, exact: true, mode: next, handler: home }\n',
  'trailing-slash prefix next to an exact path': '  - { path: /s/, mode: next, handler: s }\n  - { path: /s, exact: true, mode: next, handler: s2 }\n',
  'nested overrides':
    '  - { path: /api, mode: next, handler: api }\n  - { path: /api/v1/legacy, mode: legacy }\n  - { path: /api/v1/legacy/new, exact: true, mode: next, handler: n }\n',
  'method lists': '  - { path: /m, mode: next, handler: m, methods: [GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS] }\n  - { path: /g, mode: next, handler: g, methods: [GET] }\n',
  'every allowed character': `  - { path: "/a-b_c.d~e!f&g'h(i)jk+l,m=n:o@p", mode: next, handler: chars }\n  - { path: "/'quoted'/", mode: next, handler: q }\n`,
  'segment patterns': `  - { path: "/p/*/t", exact: true, mode: next, handler: t }\n  - { path: "/p/*/a.b+(c)'d/*", mode: next, handler: c }\n  - { path: /p, mode: legacy }\n`,
  'many routes': Array.from(
    { length: 60 },
    (_, i) => `  - { path: /r${i}/s${i % 7}${i % 3 === 0 ? '/' : ''}, ${i % 4 === 0 ? 'exact: true, ' : ''}mode: ${i % 2 ? 'legacy' : `next, handler: h${i}`} }\n`,
  ).join(''),
  'fractional body limit and short timeout': ['  - { path: /up, mode: next, handler: up }\n', 'settings: { max_body_mb: 0.25, proxy_timeout_s: 1 }\n'].join('§'),
};

function shapeTable(shape: string): RouteTable {
  const [routes = '', settings = ''] = shape.split('§');
  return parseRouteTable(tableText(routes, settings), 'shape.yaml', {});
}

describe.skipIf(!SUPPORT.ok)('nginx -t on generated configs', () => {
  it.each(Object.keys(SHAPES))('accepts the config for a table with %s', (name) => {
    const { dir, cleanup } = tempDir('strangler-nginx-t-');
    try {
      const conf = writeNginxConfig(shapeTable(SHAPES[name]!), { listenHost: '127.0.0.1', listenPort: 18080, prefix: dir, outDir: dir, workerProcesses: 1 });
      const result = spawnSync(NGINX, ['-t', '-q', '-p', dir, '-c', conf, '-e', 'stderr'], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    } finally {
      cleanup();
    }
  });

  it('accepts the repository routes.yaml on an IPv6 listen address', () => {
    const { dir, cleanup } = tempDir('strangler-nginx-t-');
    try {
      const table = parseRouteTable(readFileSync(join(import.meta.dirname, '../../routes.yaml'), 'utf8'), 'routes.yaml', {});
      const conf = writeNginxConfig(table, { listenHost: '::1', listenPort: 18080, prefix: dir, outDir: dir });
      const result = spawnSync(NGINX, ['-t', '-q', '-p', dir, '-c', conf, '-e', 'stderr'], { encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
    } finally {
      cleanup();
    }
  });
});

/** A valid table of up to 12 random routes; with an even seed, some are segment patterns. */
function randomTable(seed: number, ports = { legacy: 8090, ts: 8081 }): RouteTable {
  const routes = randomRoutes({ seed, count: 12, patterns: seed % 2 === 0, wrap: (lines) => tableText(lines, '', ports) });
  return parseRouteTable(tableText(routes, '', ports), `random-${seed}.yaml`, {});
}

/** Paths around every route of a table: itself, below it, beside it, above it, in other spellings. */
function probePaths(table: RouteTable): string[] {
  const paths = new Set<string>(['/', '/other', '/_internal/x']);
  for (const path of table.routes.flatMap((route) => (route.path.includes('*') ? WILDCARD_PROBES.map((segment) => route.path.replaceAll('*', segment)) : [route.path]))) {
    const bare = path.replace(/\/$/, '') || '/';
    for (const probe of [
      path,
      bare,
      `${bare}/`,
      `${bare}/deeper/x`,
      `${bare}x`,
      bare.slice(0, -1) || '/',
      bare.toUpperCase(),
      `/q/..${bare}`,
      `${bare.replace(/\//g, '//')}/`,
      bare.replace(/a/, '%61'),
    ]) {
      paths.add(probe);
    }
  }
  return [...paths].filter((probe) => /^[\x21-\x7e]+$/.test(probe) && !probe.includes('"'));
}

describe.skipIf(!SUPPORT.ok)('nginx -t on random tables', () => {
  it('accepts the config for 40 random valid tables', () => {
    const { dir, cleanup } = tempDir('strangler-nginx-t-');
    try {
      for (let seed = 1; seed <= 40; seed++) {
        const conf = writeNginxConfig(randomTable(seed), { listenHost: '127.0.0.1', listenPort: 18080, prefix: dir, outDir: dir, workerProcesses: 1 });
        const result = spawnSync(NGINX, ['-t', '-q', '-p', dir, '-c', conf, '-e', 'stderr'], { encoding: 'utf8' });
        expect({ seed, status: result.status, stderr: result.stderr }).toEqual({ seed, status: 0, stderr: '' });
      }
    } finally {
      cleanup();
    }
  });
});

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request over a fresh connection; the path goes on the wire exactly as given. */
function send(url: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { path, method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const page = (status: number): string => readFileSync(join(DEFAULT_PAGES_DIR, `${status}.html`), 'utf8');

describe.skipIf(!SUPPORT.ok)('a real nginx on the generated config', () => {
  let legacy: EchoBackend;
  let ts: EchoBackend;
  let front: string;
  let stop: () => Promise<void>;
  let cleanup: () => void;
  let accessLog: string;
  let revision: string;
  const output: string[] = [];

  beforeAll(async () => {
    legacy = await startEchoBackend('legacy');
    ts = await startEchoBackend('ts');
    const routes = [
      '  - { path: /api/v1/boards, exact: true, mode: next, handler: boards, methods: [GET] }',
      // Without fallback: a TS that is down gives the 502 page here (test/front-door/fallback.test.ts has the other case).
      '  - { path: /api/v1/threads, mode: next, handler: threads, methods: [GET], fallback: false }',
      '  - { path: /static/, mode: next, handler: assets }',
      '  - { path: /down, mode: next, handler: down }',
      '',
    ].join('\n');
    const table = parseRouteTable(tableText(routes, 'settings: { max_body_mb: 1, proxy_timeout_s: 1 }\n', { legacy: legacy.port, ts: ts.port }), 'front.yaml', {});
    const temp = tempDir('strangler-nginx-');
    cleanup = temp.cleanup;
    accessLog = join(temp.dir, 'access.log');
    revision = table.revision;
    const port = await freePort();
    const conf = writeNginxConfig(table, { listenHost: '127.0.0.1', listenPort: port, prefix: temp.dir, outDir: temp.dir, workerProcesses: 1, answeredBy: true });
    const child = spawn(NGINX, ['-p', temp.dir, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
    forEachLine(child.stdout, (line) => output.push(line));
    forEachLine(child.stderr, (line) => output.push(line));
    stop = () => stopChild(child);
    if (!(await waitForPort('127.0.0.1', port, 10_000))) throw new Error(`nginx did not start:\n${output.join('\n')}`);
    front = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await stop?.();
    await Promise.all([legacy?.close(), ts?.close()]);
    cleanup?.();
  });

  const backendOf = async (path: string): Promise<string> => {
    const reply = await send(front, path);
    return `${reply.headers['x-backend'] ?? reply.status} ${reply.headers['x-backend'] ? (JSON.parse(reply.body) as { url: string }).url : ''}`.trim();
  };

  it.each([
    ['/', 'legacy /'],
    ['/b/general', 'legacy /b/general'],
    ['/api/v1/boards', 'ts /api/v1/boards'],
    ['/api/v1/boards/general/threads', 'legacy /api/v1/boards/general/threads'],
    ['/api/v1/threads', 'ts /api/v1/threads'],
    ['/api/v1/threads/7?page=2', 'ts /api/v1/threads/7?page=2'],
    ['/api/v1/threadsX', 'legacy /api/v1/threadsX'],
    ['/api/v1/%74hreads/./x/..//7', 'ts /api/v1/threads/7'],
    ['/api/v1/threads%2F7', 'ts /api/v1/threads%2F7'],
    ['/api/v1/threads%2F..%2F7', 'legacy /api/v1/7'],
    ['/api/v1/THREADS/7', 'legacy /api/v1/THREADS/7'],
    ['/static/app.css', 'ts /static/app.css'],
    ['/static', 'legacy /static'],
  ])('sends %s to %s', async (path, expected) => {
    expect(await backendOf(path)).toBe(expected);
  });

  it.each([
    '/_internal/v1/boards',
    '/_INTERNAL',
    '/_Internal/x',
    '/%5Finternal/v1',
    '/x/../_internal/v1',
    '/api/..%2F_internal',
    '/_internalfoo',
    '/_internal/strangler/pages/404.html',
  ])('answers 404 with the static page for %s and forwards nothing', async (path) => {
    const before = legacy.requests.length + ts.requests.length;
    const reply = await send(front, path);
    expect(reply.status).toBe(404);
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.body).toBe(page(404));
    expect(legacy.requests.length + ts.requests.length).toBe(before);
  });

  it('answers 400 with the static page for a target nginx cannot normalize or that is not ASCII', async () => {
    for (const path of ['/a%zz', '/..', '/a/%00', '/caf\u00c3\u00a9', '/a?q=\u00e9', '/_internal/\u00e9']) {
      const reply = await send(front, path);
      expect(reply.status).toBe(400);
      expect(reply.body).toBe(page(400));
    }
  });

  it('strips forged identity and forwarded headers and passes its own instead', async () => {
    const reply = await send(front, '/whoami', {
      headers: {
        'X-Strangler-Shadow': '1',
        'X-Strangler-Route': 'next',
        'X-User-Id': '1',
        'x-user-role': 'admin',
        'X-Forwarded-For': '203.0.113.9',
        'X-Real-IP': '203.0.113.9',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Port': '443',
        Forwarded: 'for=203.0.113.9',
        'X-Request-Id': 'forged-id',
        Host: 'forum.example:8080',
      },
    });
    const seen = (JSON.parse(reply.body) as { headers: Record<string, string> }).headers;
    expect(Object.keys(seen).filter((name) => /^x-(strangler|user)-/.test(name))).toEqual([]);
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-real-ip']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('forum.example:8080');
    expect(seen.host).toBe('forum.example:8080');
    expect(seen['x-forwarded-port']).toBeUndefined();
    expect(seen.forwarded).toBeUndefined();
    expect(seen.connection).toBeUndefined();
    expect(seen['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(reply.headers['x-request-id']).toBe(seen['x-request-id']);
  });

  it('adds a fresh X-Request-Id to every response, its own error pages included', async () => {
    const ids = await Promise.all(['/', '/_internal', '/a%zz'].map(async (path) => (await send(front, path)).headers['x-request-id']));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(3);
  });

  it('hides which side answered: no Server or X-Powered-By header', async () => {
    const reply = await send(front, '/api/v1/boards');
    expect(reply.headers['x-backend']).toBe('ts');
    expect(reply.headers.server).toBeUndefined();
    expect(reply.headers['x-powered-by']).toBeUndefined();
  });

  it('keeps several Set-Cookie headers apart', async () => {
    const reply = await send(front, '/login?echo=cookies');
    expect(reply.headers['set-cookie']).toEqual(['a=1; Path=/; HttpOnly', 'b=2; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT']);
  });

  it('streams a response before the backend has finished it', async () => {
    const first = await new Promise<string>((resolve, reject) => {
      const req = request(`${front}/live?echo=stream`, { agent: false }, (res) => {
        res.once('data', (chunk: Buffer) => {
          resolve(chunk.toString('utf8'));
          res.destroy();
        });
      });
      req.on('error', reject);
      req.end();
    });
    expect(first).toBe('first chunk\n');
    legacy.release();
  });

  it('answers 413 with the static page for a body over max_body_mb', async () => {
    const reply = await send(front, '/upload', { method: 'POST', body: Buffer.alloc(1024 * 1024 + 1, 0x61) });
    expect(reply.status).toBe(413);
    expect(reply.body).toBe(page(413));
  });

  it('passes a body under max_body_mb through whole', async () => {
    const reply = await send(front, '/upload', { method: 'POST', body: Buffer.alloc(1024 * 1024 - 1, 0x61) });
    expect((JSON.parse(reply.body) as { bodyBytes: number }).bodyBytes).toBe(1024 * 1024 - 1);
  });

  it('answers 504 with the static page when a backend says nothing for proxy_timeout_s', async () => {
    const reply = await send(front, '/slow?echo=slow&ms=2500');
    expect(reply.status).toBe(504);
    expect(reply.body).toBe(page(504));
  });

  it('answers 502 with the static page for a route without fallback whose backend is down, and keeps serving the other', async () => {
    await ts.close();
    const down = await send(front, '/api/v1/threads/1');
    expect(down.status).toBe(502);
    expect(down.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(down.body).toBe(page(502));
    expect((await send(front, '/')).headers['x-backend']).toBe('legacy');
  });

  /** The access line of the request with this id, once nginx has written it (after the response). */
  const accessLine = (id: string) =>
    vi.waitFor(
      () => {
        const found = readFileSync(accessLog, 'utf8')
          .split('\n')
          .find((l) => l.includes(id));
        expect(found).toBeDefined();
        return JSON.parse(found!) as Record<string, unknown>;
      },
      { timeout: 10_000 },
    );

  it('logs one JSON access line per request with every field of the schema', async () => {
    const reply = await send(front, '/logged');
    const entry = await accessLine(reply.headers['x-request-id'] as string);
    for (const field of ACCESS_FIELDS) expect(entry, field).toHaveProperty(field);
    expect(entry).toMatchObject({ event: 'access', path: '/logged', route: '/', revision, backend: 'legacy', status: 200, failure: null, upstream: `127.0.0.1:${legacy.port}` });
    expect(entry.upstream_first_byte_s).toBeTypeOf('number');
    expect(entry.duration_s).toBeTypeOf('number');
    expect(entry.bytes_in).toBeGreaterThan(0);
    expect(entry.bytes_out).toBeGreaterThan(reply.body.length);
  });

  it('logs a request refused before routing with null route, revision and backend', async () => {
    const reply = await send(front, '/_internal/v1/users');
    expect(await accessLine(reply.headers['x-request-id'] as string)).toMatchObject({
      status: 404,
      route: null,
      revision: null,
      backend: null,
      failure: null,
      upstream_first_byte_s: null,
    });
  });

  it('logs the failure kind of each failed exchange, the same names as the Node doors', async () => {
    const timedOut = await send(front, '/slow?echo=slow&ms=2500');
    const tooLarge = await send(front, '/upload', { method: 'POST', body: Buffer.alloc(1024 * 1024 + 1, 0x61) });
    const unreachable = await send(front, '/api/v1/threads/1');
    expect(await accessLine(timedOut.headers['x-request-id'] as string)).toMatchObject({ status: 504, route: '/', failure: 'upstream-timeout', upstream_first_byte_s: null });
    expect(await accessLine(tooLarge.headers['x-request-id'] as string)).toMatchObject({ status: 413, failure: 'body-too-large' });
    expect(await accessLine(unreachable.headers['x-request-id'] as string)).toMatchObject({
      status: 502,
      route: '/api/v1/threads',
      backend: 'ts',
      failure: 'upstream-unreachable',
    });
  });

  it('names legacy, the route and the revision on what legacy answered, and never passes a client copy on', async () => {
    const reply = await send(front, '/b/general', { headers: { 'X-Strangler-Answered-By': 'ts' } });
    expect(reply.headers['x-strangler-answered-by']).toBe(`legacy; route="/"; revision=${revision}`);
    expect((JSON.parse(reply.body) as { headers: Record<string, string> }).headers['x-strangler-answered-by']).toBeUndefined();
    // A target that goes upstream as sent takes the location's other proxy_pass: same header, same log fields.
    const raw = await send(front, '/b%2Fgeneral');
    expect(raw.headers['x-strangler-answered-by']).toBe(`legacy; route="/"; revision=${revision}`);
    expect(await accessLine(raw.headers['x-request-id'] as string)).toMatchObject({ path: '/b%2Fgeneral', route: '/', backend: 'legacy' });
  });
});

describe.skipIf(!SUPPORT.ok)('nginx on random tables', () => {
  it('routes and forwards every probe path as table.match and normalizeTarget say, for 16 random tables', async () => {
    const [legacy, ts] = await Promise.all([startEchoBackend('legacy'), startEchoBackend('ts')]);
    const { dir, cleanup } = tempDir('strangler-nginx-random-');
    try {
      for (let seed = 100; seed < 116; seed++) {
        const table = randomTable(seed, { legacy: legacy.port, ts: ts.port });
        const port = await freePort();
        const conf = writeNginxConfig(table, { listenHost: '127.0.0.1', listenPort: port, prefix: dir, outDir: dir, workerProcesses: 1 });
        const child = spawn(NGINX, ['-p', dir, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], { stdio: 'ignore' });
        try {
          expect(await waitForPort('127.0.0.1', port, 10_000)).toBe(true);
          for (const path of probePaths(table)) {
            const normalized = normalizeTarget(path);
            const route = normalized.ok ? table.match(normalized.path) : null;
            const expected = !normalized.ok ? 'status 400' : isInternalPath(normalized.path) ? 'status 404' : `${route!.backend} ${forwardTargetFor(route!, normalized)}`;
            const reply = await send(`http://127.0.0.1:${port}`, path);
            const got = reply.headers['x-backend'] ? `${reply.headers['x-backend']} ${(JSON.parse(reply.body) as { url: string }).url}` : `status ${reply.status}`;
            expect({ seed, path, got }).toEqual({ seed, path, got: expected });
          }
        } finally {
          await stopChild(child);
        }
      }
    } finally {
      await Promise.all([legacy.close(), ts.close()]);
      cleanup();
    }
  });
});
