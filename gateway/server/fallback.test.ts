import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answeredByParams, answeredBySide } from '../access/index.ts';
import { createProxy } from '../proxy/index.ts';
import { parseRouteTable } from '../routes/index.ts';
import { createTsServer } from './app.ts';
import { defineService, type ServiceEnv } from './service.ts';

// The legacy side is a stand-in: what is tested is the TS server's choice, not legacy's answer.
const legacySeen: { method: string; url: string; body: string }[] = [];
const fallbacks: { route: string; reason: string }[] = [];
const logLines: Record<string, unknown>[] = [];
let legacy: Server;
let ts: Server;
let base: string;

const handlers = new Hono<ServiceEnv>()
  .get('/f/throws', () => {
    throw new Error('kaboom');
  })
  .get('/f/rejects', async () => Promise.reject(new Error('later kaboom')))
  .get('/f/silent', () => new Promise<Response>(() => undefined))
  .get('/f/on-purpose', (c) => c.text('busy on purpose', 503))
  .get('/f/http-error', () => {
    throw new HTTPException(403, { message: 'not yours' });
  })
  .get('/f/ok', (c) => c.text('ts ok'))
  .put('/f/put', async (c) => {
    await c.req.text();
    throw new Error('put failed after reading the body');
  })
  .post('/f/post', () => {
    throw new Error('post failed');
  })
  .get('/f/streams-then-fails', (c) => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('first part'));
        setTimeout(() => controller.error(new Error('broke mid-stream')), 20);
      },
    });
    return c.body(stream, 200, { 'content-type': 'text/plain' });
  })
  .get('/n/throws', () => {
    throw new Error('no fallback here');
  });

beforeAll(async () => {
  legacy = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      legacySeen.push({ method: req.method!, url: req.url!, body });
      res.setHeader('content-type', 'text/plain');
      res.end(`legacy ${req.method} ${req.url} ${body}`);
    });
  });
  await new Promise<void>((done) => legacy.listen(0, '127.0.0.1', done));
  const table = parseRouteTable(
    `version: 1
backends:
  legacy: { url: "http://127.0.0.1:${(legacy.address() as AddressInfo).port}" }
  ts: { url: "http://127.0.0.1:8081" }
routes:
  - { path: /, mode: legacy }
  - { path: /f, mode: next, handler: h }
  - { path: /n, mode: next, handler: h, fallback: false }
`,
    'fallback-routes.yaml',
    {},
  );
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  );
  const server = createTsServer({
    table,
    services: [defineService({ name: 'h', app: handlers })],
    proxy: createProxy({ logger }),
    logger,
    answeredBy: true,
    fallbackTimeoutMs: 300,
    onFallback: (route, reason) => fallbacks.push({ route, reason }),
  });
  ts = serve({ fetch: server.app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((done) => (ts.listening ? done() : ts.once('listening', done)));
  base = `http://127.0.0.1:${(ts.address() as AddressInfo).port}`;
});

afterAll(async () => {
  ts?.closeAllConnections();
  await new Promise<void>((done) => (ts ? ts.close(() => done()) : done()));
  await new Promise<void>((done) => (legacy ? legacy.close(() => done()) : done()));
});

interface Answer {
  status: number | null;
  body: string;
  answeredBy: string | undefined;
  error: string | null;
}

/** Over node:http, every outcome kept: a cut connection is an answer too (`error`). */
function send(method: string, path: string, body?: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = httpRequest(`${base}${path}`, { method, agent: false, headers: body === undefined ? {} : { 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? null, body: text, answeredBy: res.headers['x-strangler-answered-by'] as string | undefined, error: null }));
      res.on('error', (err) => resolve({ status: res.statusCode ?? null, body: text, answeredBy: undefined, error: err.message }));
      res.on('aborted', () => resolve({ status: res.statusCode ?? null, body: text, answeredBy: undefined, error: 'aborted' }));
    });
    req.on('error', (err) => resolve({ status: null, body: '', answeredBy: undefined, error: err.message }));
    req.end(body);
  });
}

const accessLineOf = (path: string) => logLines.find((line) => line.event === 'access' && line.path === path);

describe('fallback at the TS server', () => {
  it.each([
    ['/f/throws', 'ts-error'],
    ['/f/rejects', 'ts-error'],
    ['/f/silent', 'ts-timeout'],
  ])('answers GET %s with legacy, marked %s, counted and logged', async (path, reason) => {
    const before = fallbacks.length;
    const res = await send('GET', path);
    expect(res.status).toBe(200);
    expect(res.body).toBe(`legacy GET ${path} `);
    expect(answeredBySide(res.answeredBy)).toBe('legacy');
    expect(answeredByParams(res.answeredBy)).toMatchObject({ route: '/f', fallback: reason });
    expect(fallbacks.slice(before)).toEqual([{ route: '/f', reason }]);
    await expect.poll(() => accessLineOf(path)).toMatchObject({ backend: 'legacy', fallback: 'legacy', status: 200 });
  });

  it('sends a PUT body the handler already read to legacy whole', async () => {
    const res = await send('PUT', '/f/put', 'the new title');
    expect(res.body).toBe('legacy PUT /f/put the new title');
    expect(legacySeen.at(-1)).toEqual({ method: 'PUT', url: '/f/put', body: 'the new title' });
    expect(answeredByParams(res.answeredBy).fallback).toBe('ts-error');
  });

  it('gives a POST whose handler throws the 500, never sending it to legacy', async () => {
    const before = legacySeen.length;
    const res = await send('POST', '/f/post', 'a reply');
    expect(res.status).toBe(500);
    expect(legacySeen.length).toBe(before);
  });

  it('passes a 503 the handler returns on purpose to the client: an answer, not a failure', async () => {
    const before = fallbacks.length;
    const res = await send('GET', '/f/on-purpose');
    expect([res.status, res.body, answeredBySide(res.answeredBy)]).toEqual([503, 'busy on purpose', 'ts']);
    expect(fallbacks.length).toBe(before);
  });

  it('leaves an HTTP error the handler throws on purpose to the error handler, never to legacy', async () => {
    const [before, counted] = [legacySeen.length, fallbacks.length];
    const res = await send('GET', '/f/http-error');
    expect(answeredBySide(res.answeredBy)).not.toBe('legacy');
    expect([legacySeen.length, fallbacks.length]).toEqual([before, counted]);
  });

  it('cuts the connection when a handler fails after its first byte, and legacy is not asked', async () => {
    const before = legacySeen.length;
    const res = await send('GET', '/f/streams-then-fails');
    expect(res.status).toBe(200);
    expect(res.error).not.toBeNull();
    expect(legacySeen.length).toBe(before);
  });

  it('gives the 500 on a route with fallback: false', async () => {
    const res = await send('GET', '/n/throws');
    expect(res.status).toBe(500);
  });

  it('leaves a handler that answers alone', async () => {
    const res = await send('GET', '/f/ok');
    expect([res.status, res.body, answeredBySide(res.answeredBy)]).toEqual([200, 'ts ok', 'ts']);
  });
});
