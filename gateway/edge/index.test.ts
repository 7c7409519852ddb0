import { request, type IncomingHttpHeaders } from 'node:http';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startEchoBackend, type EchoBackend } from '../../test/helpers/echo-backend.ts';
import { sendRaw } from '../../test/helpers/raw-http.ts';
import { freePort } from '../process/index.ts';
import type { Backend, BackendName, Route, RouteSettings, RouteTable } from '../routes/types.ts';
import { ACCESS_FIELDS } from '../access/index.ts';
import { startEdge, type Edge, type EdgeOptions } from './index.ts';
import { TRAFFIC_DEFAULTS } from '../routes/traffic-keys.ts';

// A hand-built table: the loader has its own tests; these are about what the edge does with a table.
function fakeTable(
  backends: Record<BackendName, Backend>,
  prefixes: Record<string, BackendName>,
  settings: RouteSettings = { maxBodyBytes: 16 * 1024 * 1024, proxyTimeoutMs: 60_000, legacyKeepAlive: true },
  // Off unless a test is about it: most of these show what the edge does when a backend is down.
  fallback = false,
): RouteTable {
  const routes: Route[] = Object.entries(prefixes).map(([path, backend], index) => ({
    index,
    line: index + 1,
    path,
    exact: false,
    mode: backend === 'legacy' ? 'legacy' : 'next',
    backend,
    handler: backend === 'ts' ? 'svc' : null,
    methods: null,
    ...TRAFFIC_DEFAULTS,
    fallback,
  }));
  const covers = (prefix: string, path: string): boolean => prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);
  return Object.freeze({
    source: 'test',
    revision: '0-test',
    backends,
    routes,
    settings,
    match: (path: string) => routes.filter((r) => covers(r.path, path)).sort((a, b) => b.path.length - a.path.length)[0]!,
  });
}

const asBackend = (name: BackendName, echo: { url: string; host: string; port: number }): Backend => ({ name, url: echo.url, host: echo.host, port: echo.port });

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(edge: Edge, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const { port } = new URL(edge.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('startEdge', () => {
  let legacy: EchoBackend;
  let ts: EchoBackend;
  let edge: Edge | undefined;
  let logs: Record<string, unknown>[];
  const start = async (table: RouteTable, { answeredBy = false, onFallback }: Pick<EdgeOptions, 'answeredBy' | 'onFallback'> = {}): Promise<Edge> => {
    logs = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
    edge = await startEdge({ table, logger, answeredBy, ...(onFallback ? { onFallback } : {}) });
    return edge;
  };
  const standardTable = (): RouteTable => fakeTable({ legacy: asBackend('legacy', legacy), ts: asBackend('ts', ts) }, { '/': 'legacy', '/api/v1/boards': 'ts' });

  beforeEach(async () => {
    [legacy, ts] = await Promise.all([startEchoBackend('legacy'), startEchoBackend('ts')]);
  });
  afterEach(async () => {
    await edge?.close(1000);
    edge = undefined;
    await Promise.all([legacy.close(), ts.close()]);
  });

  it('routes the normalized path by longest prefix and forwards the re-escaped path with the query', async () => {
    const e = await start(standardTable());
    expect((await send(e, '/api/v1/boards?page=2')).headers['x-backend']).toBe('ts');
    expect(ts.requests.at(-1)!.url).toBe('/api/v1/boards?page=2');
    expect((await send(e, '/api/v1//x/../boards/7')).headers['x-backend']).toBe('ts');
    expect(ts.requests.at(-1)!.url).toBe('/api/v1/boards/7');
    expect((await send(e, '/api/v1/boardsX')).headers['x-backend']).toBe('legacy');
    expect((await send(e, '/')).headers['x-backend']).toBe('legacy');
  });

  it.each([
    '/_internal/v1/x',
    '/_internal',
    '/%5Finternal/v1/x',
    '/a/../_internal/v1',
    '//_internal/v1',
    '/_internal%2Fv1',
    '/./_internal/',
    '/\\_internal/v1',
    '/%5C_INTERNAL',
    '/a\\..\\_internal',
  ])('answers the 404 page for %s without reaching a backend', async (path) => {
    const e = await start(standardTable());
    const res = await send(e, path);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(legacy.requests).toHaveLength(0);
    expect(ts.requests).toHaveLength(0);
  });

  it('answers the 400 page for a target nginx refuses', async () => {
    const e = await start(standardTable());
    const res = await send(e, '/a/%00b');
    expect(res.status).toBe(400);
    expect(legacy.requests).toHaveLength(0);
  });

  it('answers 400 to two Host lines or an empty one, 405 or 400 to CONNECT and 405 to TRACE, as nginx does', async () => {
    const e = await start(standardTable());
    expect(await sendRaw(e.url, 'GET /page HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await sendRaw(e.url, 'CONNECT 127.0.0.1:8082 HTTP/1.1\r\nHost: 127.0.0.1:8082\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await sendRaw(e.url, 'CONNECT /page HTTP/1.1\r\nHost: a\r\n\r\n')).toMatch(/^HTTP\/1\.1 405 /);
    expect(await sendRaw(e.url, 'GET /page HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await sendRaw(e.url, 'TRACE /page HTTP/1.1\r\nHost: a\r\nCookie: forum_session=secret\r\nConnection: close\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 405 [^]*\r\n\r\n405 Method Not Allowed\n$/,
    );
    expect(legacy.requests).toHaveLength(0);
  });

  it('strips forged identity headers and path overrides, and sets forwarded headers from the socket', async () => {
    const e = await start(standardTable());
    await send(e, '/page', {
      headers: {
        Host: 'forum.example',
        'X-Strangler-Shadow': '1',
        'X-User-Id': 'admin',
        'x-user-roles': 'root',
        'X-User': 'admin',
        // nginx drops names with '_' (underscores_in_headers off); WSGI would read this one as X-User-Id.
        X_User_Id: 'admin',
        // ...and any name with a character other than letters, digits and '-'.
        'X.User.Id': 'admin',
        'X-Original-URL': '/_internal/v1/users/1',
        'X-Rewrite-URL': '/_internal/v1/users/1',
        'X-Forwarded-For': '6.6.6.6',
        'X-Real-IP': '6.6.6.6',
        'X-Forwarded-Proto': 'https',
        Forwarded: 'for=6.6.6.6',
      },
    });
    const seen = legacy.requests.at(-1)!.headers;
    expect(Object.keys(seen).filter((name) => /^x[-_.](strangler|user)([-_.]|$)|^x-(original|rewrite)-url$/.test(name))).toEqual([]);
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-real-ip']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('forum.example');
    expect(seen.forwarded).toBeUndefined();
  });

  it('mints a fresh request id, replaces the client one, and sends the same id upstream and back', async () => {
    const e = await start(standardTable());
    const res = await send(e, '/', { headers: { 'X-Request-Id': 'client-chosen' } });
    const id = res.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(legacy.requests.at(-1)!.headers['x-request-id']).toBe(id);
    const again = await send(e, '/');
    expect(again.headers['x-request-id']).not.toBe(id);
  });

  /** The access lines so far, once there are `count` (a line is written as the response finishes, a moment after the client has it). */
  const accessLines = (count: number) =>
    vi.waitFor(
      () => {
        const lines = logs.filter((line) => line.event === 'access');
        expect(lines).toHaveLength(count);
        return lines;
      },
      { timeout: 10_000 },
    );

  it('writes one access-log line per request with every field of the schema', async () => {
    const e = await start(standardTable());
    const res = await send(e, '/api/v1/boards', { method: 'POST', body: '{}' });
    const [line] = await accessLines(1);
    for (const field of ACCESS_FIELDS) expect(line, field).toHaveProperty(field);
    expect(line).toMatchObject({
      request_id: res.headers['x-request-id'],
      method: 'POST',
      path: '/api/v1/boards',
      route: '/api/v1/boards',
      revision: '0-test',
      backend: 'ts',
      status: 200,
      failure: null,
    });
    expect(line!.bytes_in).toBeGreaterThan(2);
    expect(line!.bytes_out).toBeGreaterThan(Buffer.byteLength(res.body));
    expect(line!.upstream_first_byte_s).toBeGreaterThanOrEqual(0);
    expect(line!.duration_s).toBeGreaterThanOrEqual(line!.upstream_first_byte_s as number);
  });

  it('logs a request it refuses before routing with no route, revision or backend', async () => {
    const e = await start(standardTable());
    await send(e, '/_internal/v1/users');
    const [line] = await accessLines(1);
    expect(line).toMatchObject({ status: 404, route: null, revision: null, backend: null, failure: null, upstream_first_byte_s: null });
  });

  it('logs the failure kind of a forward that failed', async () => {
    const port = await freePort();
    const e = await start(
      fakeTable({ legacy: asBackend('legacy', legacy), ts: { name: 'ts', url: `http://127.0.0.1:${port}`, host: '127.0.0.1', port } }, { '/': 'legacy', '/api': 'ts' }),
    );
    await send(e, '/api/x');
    const [line] = await accessLines(1);
    expect(line).toMatchObject({ status: 502, backend: 'ts', route: '/api', failure: 'upstream-unreachable', upstream_first_byte_s: null });
  });

  it('names legacy, the route and its revision on what it sends to legacy when answeredBy is on, and leaves TS routes to the TS server', async () => {
    const e = await start(standardTable(), { answeredBy: true });
    const toLegacy = await send(e, '/b/general', { headers: { 'X-Strangler-Answered-By': 'ts' } });
    const toTs = await send(e, '/api/v1/boards');
    expect(toLegacy.headers['x-strangler-answered-by']).toBe('legacy; route="/"; revision=0-test');
    // A client's copy of the header never reaches a backend.
    expect(legacy.requests.at(-1)!.headers['x-strangler-answered-by']).toBeUndefined();
    expect(toTs.headers['x-strangler-answered-by']).toBeUndefined();
  });

  it('adds no answered-by header when answeredBy is off', async () => {
    const e = await start(standardTable());
    expect((await send(e, '/b/general')).headers['x-strangler-answered-by']).toBeUndefined();
  });

  it('answers the 502 page for routes of a backend that is down while the other backend keeps working', async () => {
    const port = await freePort();
    const e = await start(
      fakeTable({ legacy: asBackend('legacy', legacy), ts: { name: 'ts', url: `http://127.0.0.1:${port}`, host: '127.0.0.1', port } }, { '/': 'legacy', '/api': 'ts' }),
    );
    const down = await send(e, '/api/x');
    expect(down.status).toBe(502);
    expect(down.headers['cache-control']).toBe('no-store');
    expect(down.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect((await send(e, '/page')).status).toBe(200);
  });

  it('sends a GET and a PUT (body and all) for a TS route with fallback to legacy when the TS server refuses, marked, logged and counted', async () => {
    const port = await freePort();
    const fallbacks: string[] = [];
    const e = await start(
      fakeTable(
        { legacy: asBackend('legacy', legacy), ts: { name: 'ts', url: `http://127.0.0.1:${port}`, host: '127.0.0.1', port } },
        { '/': 'legacy', '/api': 'ts' },
        undefined,
        true,
      ),
      { answeredBy: true, onFallback: (route, reason) => fallbacks.push(`${route} ${reason}`) },
    );
    const got = await send(e, '/api/x');
    expect([got.status, got.headers['x-backend'], got.headers['x-strangler-answered-by']]).toEqual([
      200,
      'legacy',
      'legacy; route="/api"; revision=0-test; fallback=ts-unreachable',
    ]);
    const put = await send(e, '/api/y', { method: 'PUT', body: 'new title' });
    expect(put.status).toBe(200);
    expect(legacy.requests.at(-1)).toMatchObject({ method: 'PUT', url: '/api/y', bodyBytes: 9 });
    expect(fallbacks).toEqual(['/api ts-unreachable', '/api ts-unreachable']);
    const lines = await accessLines(2);
    expect(lines[0]).toMatchObject({ status: 200, backend: 'legacy', route: '/api', fallback: 'legacy', failure: null });
  });

  it("refuses a body over the table's maxBodyBytes with the 413 page", async () => {
    const table = fakeTable(
      { legacy: asBackend('legacy', legacy), ts: asBackend('ts', ts) },
      { '/': 'legacy' },
      { maxBodyBytes: 100, proxyTimeoutMs: 1000, legacyKeepAlive: true },
    );
    const e = await start(table);
    expect((await send(e, '/upload', { method: 'POST', body: 'x'.repeat(101) })).status).toBe(413);
    expect((await send(e, '/upload', { method: 'POST', body: 'x'.repeat(100) })).status).toBe(200);
  });

  it('routes by the new table after swapTable', async () => {
    const e = await start(standardTable());
    expect((await send(e, '/moved/1')).headers['x-backend']).toBe('legacy');
    e.swapTable(fakeTable({ legacy: asBackend('legacy', legacy), ts: asBackend('ts', ts) }, { '/': 'legacy', '/moved': 'ts' }));
    expect((await send(e, '/moved/1')).headers['x-backend']).toBe('ts');
  });

  it('finishes a request in flight when closed, then stops accepting', async () => {
    const e = await start(standardTable());
    const slow = send(e, '/?echo=slow&ms=500');
    await vi.waitFor(() => expect(legacy.requests.some((r) => r.url.includes('echo=slow'))).toBe(true), { timeout: 10_000 });
    const closed = e.close(5000);
    expect((await slow).status).toBe(200);
    await closed;
    await expect(send(e, '/')).rejects.toThrow(/ECONNREFUSED/);
    edge = undefined;
  });
});
