/**
 * The gateway's own error pages come from one place: for every case the gateway answers itself, nginx,
 * the Node edge and the TS server (its proxy, and its public listener) send the page of the pages
 * directory the app configured (STRANGLER_PAGES_DIR), byte for byte, with the same status and type.
 * The legacy app here is a raw-socket stand-in that misbehaves on purpose: it breaks off one path and
 * never answers another.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStackFile } from '../../gateway/cli/stack-file.ts';
import { generateNginxConfig, nginxSupport, writeNginxConfig } from '../../gateway/nginx/index.ts';
import { ERROR_PAGE_STATUSES, loadErrorPages } from '../../gateway/proxy/index.ts';
import { parseRouteTable } from '../../gateway/routes/index.ts';
import { freePort, startEdge, startTs, stopChild, tempDir, waitForPort, type RunningProcess } from '../helpers/processes.ts';

const NGINX = nginxSupport();
const MAX_BODY_BYTES = 1024 * 1024;

/** Each case the gateway answers itself: the raw request that causes it and the status it gets. */
const CASES = [
  { status: 400, what: 'a malformed request target', request: 'GET /a%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' },
  { status: 404, what: 'a path under /_internal', request: 'GET /_internal/v1/anything HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' },
  { status: 413, what: 'a body over max_body_mb', request: `POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\nConnection: close\r\n\r\nabc` },
  { status: 502, what: 'a backend that breaks off', request: 'GET /broken HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' },
  { status: 504, what: 'a backend that never answers', request: 'GET /silent HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' },
] as const;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** Send raw bytes and resolve with the first complete answer (headers and Content-Length bytes of body). */
function firstAnswer(url: string, request: string, timeoutMs = 15_000): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(request, 'latin1'));
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`no complete answer within ${timeoutMs} ms: ${received.toString('latin1')}`)), timeoutMs);
    const finish = (result: Answer | Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return;
      const [statusLine, ...lines] = received.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length'] ?? NaN);
      if (Number.isNaN(length)) return finish(new Error(`no Content-Length: ${received.toString('latin1')}`));
      if (received.length < end + 4 + length) return;
      finish({ status: Number(statusLine!.split(' ')[1]), headers, body: received.subarray(end + 4, end + 4 + length) });
    });
    socket.on('error', (err) => finish(err));
  });
}

/** The stand-in: `/broken` is cut off at once, `/silent` never answered, anything else gets 200. */
function startStandIn(): Promise<{ server: Server; port: number }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let head = '';
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      if (head.startsWith('GET /broken')) return socket.destroy();
      if (head.startsWith('GET /silent')) return;
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n');
    });
  });
  server.on('close', () => sockets.forEach((socket) => socket.destroy()));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

describe('the gateway’s own error pages, through every door', () => {
  const temp = tempDir('strangler-pages-');
  const pagesDir = join(temp.dir, 'pages');
  const routes = join(temp.dir, 'routes.yaml');
  const doors: Record<string, string> = {};
  let standIn: Server | undefined;
  let ts: RunningProcess | undefined;
  let edge: RunningProcess | undefined;
  let nginx: ChildProcess | undefined;

  beforeAll(async () => {
    // Pages of this app's own, so nothing can pass by sending the gateway's neutral ones.
    mkdirSync(pagesDir);
    // nginx started as root reads the pages as its unprivileged worker user: a private temporary
    // directory would make it answer 403 instead (a separate item of the issue, not this suite's).
    chmodSync(temp.dir, 0o755);
    for (const status of ERROR_PAGE_STATUSES)
      writeFileSync(join(pagesDir, `${status}.html`), `<!doctype html>\n<title>${status}</title>\n<p>this app's own page for ${status} ✓</p>\n`);
    const legacy = await startStandIn();
    standIn = legacy.server;
    const table = `version: 1
backends:
  legacy: { url: "http://127.0.0.1:\${LEGACY_PORT}" }
  ts: { url: "http://127.0.0.1:\${TS_PORT}" }
settings: { max_body_mb: 1, proxy_timeout_s: 1 }
routes:
  - { path: /, mode: legacy }
`;
    writeFileSync(routes, table);
    const env = { ROUTES: routes, LEGACY_PORT: String(legacy.port), STRANGLER_PAGES_DIR: pagesDir, STRANGLER_SERVICES: '', LOG_LEVEL: 'warn' };
    ts = await startTs(env);
    doors['TS server'] = ts.url;
    edge = await startEdge({ ...env, TS_PORT: String(ts.port) });
    doors['edge'] = edge.url;
    if (NGINX.ok) {
      const port = await freePort();
      const parsed = parseRouteTable(table, routes, { LEGACY_PORT: String(legacy.port), TS_PORT: String(ts.port) });
      const conf = writeNginxConfig(parsed, { listenHost: '127.0.0.1', listenPort: port, prefix: temp.dir, outDir: temp.dir, pagesDir, workerProcesses: 1 });
      nginx = spawn(NGINX.binary, ['-p', temp.dir, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], { stdio: 'ignore' });
      if (!(await waitForPort('127.0.0.1', port, 10_000))) throw new Error('nginx did not start');
      doors['nginx'] = `http://127.0.0.1:${port}`;
    }
  });

  afterAll(async () => {
    await Promise.all([ts?.stop(), edge?.stop(), nginx && stopChild(nginx)]);
    standIn?.close();
    temp.cleanup();
  });

  it('has a page in the configured directory for every status the gateway answers with', () => {
    const pages = loadErrorPages(pagesDir);
    for (const status of ERROR_PAGE_STATUSES) expect(pages[status].toString()).toContain(`this app's own page for ${status}`);
  });

  it('has nginx serve the configured directory for every status in the list, 503 included, which no door answers yet', () => {
    const table = parseRouteTable(readFileSync(routes, 'utf8'), routes, { LEGACY_PORT: '1', TS_PORT: '2' });
    const conf = generateNginxConfig(table, { listenHost: '127.0.0.1', listenPort: 8080, prefix: temp.dir, pagesDir, headersMoreModule: '/unused/module.so' });
    expect([...conf.matchAll(/error_page (\d+) \/_internal\/strangler\/pages\/(\d+)\.html;/g)].map((m) => [Number(m[1]), Number(m[2])])).toEqual(
      ERROR_PAGE_STATUSES.map((s) => [s, s]),
    );
    expect(conf).toContain(`alias ${pagesDir}/;`);
  });

  describe.each(CASES)('$status for $what', ({ status, request }) => {
    const page = (): Buffer => readFileSync(join(pagesDir, `${status}.html`));

    it.each(['TS server', 'edge', ...(NGINX.ok ? ['nginx'] : [])])('is the configured page, byte for byte, from the %s', async (door) => {
      const answer = await firstAnswer(doors[door]!, request);
      expect(answer.status).toBe(status);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(answer.body.equals(page()), answer.body.toString()).toBe(true);
    });
  });
});

describe('the forum’s own pages', () => {
  it('are named by stack.yaml and cover every status the gateway answers with, in the forum’s look', () => {
    const root = join(import.meta.dirname, '../..');
    const stack = loadStackFile(join(root, 'stack.yaml'));
    const dir = join(root, stack.env.STRANGLER_PAGES_DIR!);
    const pages = loadErrorPages(dir);
    for (const status of ERROR_PAGE_STATUSES) {
      expect(readFileSync(join(dir, `${status}.html`)).equals(pages[status])).toBe(true);
      expect(pages[status].toString()).toMatch(new RegExp(`<title>${status} [^<]+ · Forum</title>`));
    }
  });
});
