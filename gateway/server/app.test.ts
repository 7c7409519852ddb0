import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACCESS_FIELDS } from '../access/index.ts';
import { createProxy } from '../proxy/index.ts';
import { parseRouteTable, type RouteTable } from '../routes/index.ts';
import { createTsServer, type TsServer } from './app.ts';
import { defineService, UnmountedHandlerError, type ServiceEnv } from './service.ts';

const tableOf = (legacyPort: number, routes: string): RouteTable =>
  parseRouteTable(
    `version: 1
backends:
  legacy: { url: "http://127.0.0.1:${legacyPort}" }
  ts: { url: "http://127.0.0.1:8081" }
routes:
  - { path: /, mode: legacy }
${routes}`,
    'test-routes.yaml',
    {},
  );

const things = new Hono<ServiceEnv>()
  .get('/api/things/boom', () => {
    throw new Error('kaboom');
  })
  .get('/api/things/:id', (c) => c.json({ id: c.req.param('id'), requestId: c.env.requestId, query: c.req.query('q') ?? null }));
const everything = new Hono<ServiceEnv>().all('/all', (c) => c.text(`all:${c.req.method}`));
const services = [defineService({ name: 'things', app: things }), defineService({ name: 'everything', app: everything })];

const routesFor = (port: number): RouteTable =>
  tableOf(
    port,
    `  - { path: /api/things, mode: next, handler: things, methods: [GET], fallback: false }
  - { path: /all, exact: true, mode: next, handler: everything }`,
  );

interface Seen {
  method: string;
  url: string;
  requestId: string | undefined;
  bodyBytes: number;
}
const seen: Seen[] = [];
const logLines: Record<string, unknown>[] = [];
const errorPaths: string[] = [];
let legacy: Server;
let ts: Server;
let tsServer: TsServer;
let base: string;

beforeAll(async () => {
  legacy = createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, requestId: req.headers['x-request-id'] as string | undefined, bodyBytes });
      res.setHeader('content-type', 'text/plain');
      res.end(`legacy ${req.method} ${req.url} ${bodyBytes}`);
    });
  });
  await new Promise<void>((done) => legacy.listen(0, '127.0.0.1', done));
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'info' }, logStream);
  tsServer = createTsServer({
    table: routesFor((legacy.address() as AddressInfo).port),
    services,
    proxy: createProxy({ logger }),
    logger,
    notFound: () => new Response('custom not found', { status: 404 }),
    errorResponse: (status, message, path) => {
      errorPaths.push(path);
      return new Response(`custom ${status}: ${message}`, { status });
    },
  });
  await new Promise<void>((done) => {
    ts = serve({ fetch: tsServer.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      base = `http://127.0.0.1:${info.port}`;
      done();
    }) as Server;
  });
});

afterAll(async () => {
  await new Promise((done) => ts.close(done));
  await new Promise((done) => legacy.close(done));
});

/** A raw request: the target goes on the wire exactly as written (fetch would resolve dot segments). */
function rawRequest(method: string, target: string, headers: Record<string, string> = {}, body?: Buffer): Promise<{ status: number; body: string; res: IncomingMessage }> {
  return new Promise((done, fail) => {
    const url = new URL(base);
    const req = httpRequest({ host: url.hostname, port: url.port, method, path: target, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode!, body: Buffer.concat(chunks).toString(), res }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

describe('the TS server', () => {
  it('answers a moved GET with its service, passing the front door request id', async () => {
    const res = await request(ts).get('/api/things/7?q=x').set('x-request-id', 'front-door-id-1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: '7', requestId: 'front-door-id-1', query: 'x' });
    // The line is written once the answer has left, a moment after the client may have it.
    await vi.waitFor(() => expect(logLines).toContainEqual(expect.objectContaining({ event: 'access', request_id: 'front-door-id-1', status: 200, backend: 'ts' })));
  });

  it('mints a 32-hex request id when the front door sent none or a malformed one', async () => {
    const plain = await request(ts).get('/api/things/1');
    expect(plain.body.requestId).toMatch(/^[0-9a-f]{32}$/);
    const forged = await request(ts).get('/api/things/1').set('x-request-id', 'a b {"level":"fatal"}');
    expect(forged.body.requestId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('answers HEAD on a GET route with the service and no body', async () => {
    const res = await rawRequest('HEAD', '/api/things/3');
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    expect(seen.some((s) => s.url === '/api/things/3')).toBe(false);
  });

  it('forwards a method that has not moved to legacy with the request id', async () => {
    const res = await request(ts).post('/api/things/7').set('x-request-id', 'post-id-1').set('content-type', 'text/plain').send('hello');
    expect(res.status).toBe(200);
    expect(res.text).toBe('legacy POST /api/things/7 5');
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/api/things/7', requestId: 'post-id-1' });
    await vi.waitFor(() => expect(logLines).toContainEqual(expect.objectContaining({ event: 'access', request_id: 'post-id-1', status: 200, backend: 'legacy' })));
  });

  it('logs every field of the access schema, with route and revision, for an answer of either side', async () => {
    await request(ts).get('/api/things/9').set('x-request-id', 'schema-ts-1');
    await request(ts).get('/elsewhere').set('x-request-id', 'schema-legacy-1');
    const lineOf = (id: string) => logLines.find((line) => line.event === 'access' && line.request_id === id);
    await vi.waitFor(() => expect([lineOf('schema-ts-1'), lineOf('schema-legacy-1')]).not.toContain(undefined));
    const revision = tsServer.table().revision;
    for (const line of [lineOf('schema-ts-1')!, lineOf('schema-legacy-1')!]) for (const field of ACCESS_FIELDS) expect(line, field).toHaveProperty(field);
    expect(lineOf('schema-ts-1')).toMatchObject({ route: '/api/things', revision, backend: 'ts', status: 200, upstream_first_byte_s: null, failure: null });
    expect(lineOf('schema-legacy-1')).toMatchObject({ route: '/', revision, backend: 'legacy', status: 200, failure: null });
    expect(lineOf('schema-legacy-1')!.upstream_first_byte_s).toBeGreaterThanOrEqual(0);
    expect(lineOf('schema-ts-1')!.bytes_out).toBeGreaterThan(0);
  });

  it('forwards paths outside every TS route to legacy, query intact', async () => {
    const res = await request(ts).get('/b/general?page=2');
    expect(res.text).toBe('legacy GET /b/general?page=2 0');
  });

  it('matches the normalized path: dot segments, repeated slashes and escapes cannot dodge a route', async () => {
    const res = await rawRequest('GET', '/b/..//api/%74hings/9');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ id: '9' });
  });

  it('answers every method of a route without a method list with its service', async () => {
    expect((await request(ts).delete('/all')).text).toBe('all:DELETE');
  });

  it('answers 400 in the app shape for a request target that cannot be normalized', async () => {
    const res = await rawRequest('GET', '/api/things/%zz');
    expect(res).toMatchObject({ status: 400 });
    expect(res.body).toMatch(/^custom 400: the path has a '%'/);
    expect(errorPaths.at(-1)).toBe('/api/things/%zz');
  });

  it('answers 404 from the notFound option for a path the service does not know', async () => {
    const res = await request(ts).get('/api/things/1/2/3');
    expect(res.status).toBe(404);
    expect(res.text).toBe('custom not found');
  });

  it('answers 500 in the app shape and logs the error when a service throws on a route without fallback, and keeps serving', async () => {
    const res = await request(ts).get('/api/things/boom').set('x-request-id', 'boom-id');
    expect(res.status).toBe(500);
    expect(res.text).toBe('custom 500: internal server error');
    expect(logLines).toContainEqual(expect.objectContaining({ event: 'error', request_id: 'boom-id' }));
    expect((await request(ts).get('/api/things/1')).status).toBe(200);
  });

  it('passes an unread 5 MB POST body to legacy intact and stays healthy', async () => {
    const body = Buffer.alloc(5 * 1024 * 1024, 'x');
    const res = await fetch(`${base}/api/things/1`, { method: 'POST', body });
    expect(await res.text()).toBe(`legacy POST /api/things/1 ${body.length}`);
    expect((await fetch(`${base}/api/things/1`)).status).toBe(200);
  });

  it('answers 413 whole for a 20 MB POST over the table limit that nobody reads, and stays healthy', async () => {
    const body = Buffer.alloc(20 * 1024 * 1024, 'z');
    const res = await rawRequest('POST', '/api/things/1', { 'content-length': String(body.length) }, body).catch((err: Error) => err);
    expect(res).toMatchObject({ status: 413 });
    expect(seen.some((s) => s.bodyBytes === body.length)).toBe(false);
    expect((await fetch(`${base}/api/things/1`)).status).toBe(200);
  });

  it('answers a 5 MB POST to a service that never reads it, then serves the next request on the same connection', async () => {
    const agentless = await rawRequest('POST', '/all', { 'content-length': String(5 * 1024 * 1024) }, Buffer.alloc(5 * 1024 * 1024, 'y'));
    expect(agentless).toMatchObject({ status: 200, body: 'all:POST' });
    expect((await fetch(`${base}/all`)).status).toBe(200);
  });
});

describe('route table swaps', () => {
  it('serves from a swapped table at once and refuses one that names an unmounted handler', async () => {
    const legacyPort = (legacy.address() as AddressInfo).port;
    const original = tsServer.table();
    try {
      tsServer.swapTable(tableOf(legacyPort, ''));
      expect(await (await fetch(`${base}/api/things/4`)).text()).toBe('legacy GET /api/things/4 0');
      const bad = tableOf(legacyPort, '  - { path: /api/things, mode: next, handler: gadgets, methods: [GET] }');
      expect(() => tsServer.swapTable(bad)).toThrow(UnmountedHandlerError);
      expect(await (await fetch(`${base}/api/things/4`)).text()).toBe('legacy GET /api/things/4 0');
    } finally {
      tsServer.swapTable(original);
    }
    expect((await fetch(`${base}/api/things/4`)).status).toBe(200);
  });
});

describe('createTsServer', () => {
  it('refuses a table naming handlers that are not mounted, listing them and the mounted ones', () => {
    const table = tableOf(
      1,
      `  - { path: /api/gadgets, mode: next, handler: gadgets, methods: [GET] }
  - { path: /api/things, mode: next, handler: things, methods: [GET] }`,
    );
    const logger = pino({ level: 'silent' });
    expect(() => createTsServer({ table, services: services.slice(0, 1), proxy: createProxy({ logger }), logger })).toThrow(
      'the route table names handlers that are not mounted: "gadgets" (test-routes.yaml line 7); mounted services: "things"',
    );
  });

  it('refuses two services with the same name', () => {
    const table = tableOf(1, '');
    const logger = pino({ level: 'silent' });
    expect(() => createTsServer({ table, services: [services[0]!, services[0]!], proxy: createProxy({ logger }), logger })).toThrow(/two services are named "things"/);
  });
});
