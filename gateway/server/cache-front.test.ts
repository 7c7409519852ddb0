import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRecord } from '../access/index.ts';
import { cachedRoutes, cacheFront, createResponseCache } from '../cache/index.ts';
import { parseRouteTable, type RouteTable } from '../routes/index.ts';
import { createCacheAnswerer } from './cache-front.ts';
import { canaryBucket } from './plan.ts';
import { defineService, type ServiceEnv } from './service.ts';

const tableOf = (pageRoute: string): RouteTable =>
  parseRouteTable(
    `version: 1
backends:
  legacy: { url: "http://127.0.0.1:1" }
  ts: { url: "http://127.0.0.1:8081" }
routes:
  - { path: /, mode: legacy }
  - ${pageRoute}`,
    'test-routes.yaml',
    {},
  );
const tableWith = (mode: 'next' | 'legacy', extra = ''): RouteTable =>
  tableOf(`{ path: /page, mode: ${mode}${mode === 'next' ? ', handler: pages, methods: [GET]' : ''}${extra} }`);

const cache = createResponseCache({ maxBytes: 1_000_000, ttlMs: 60_000 });
let views = 0;
const app = new Hono<ServiceEnv>();
app.use('/page/:id', cachedRoutes('page', { cache, isPersonal: () => false, tagsOf: () => [], onHitOf: () => (method) => method === 'GET' && views++ }));
app.get('/page/:id', (c) => c.text(`page ${c.req.param('id')}`));
const service = defineService({ name: 'pages', app, cache: cacheFront({ cache, routes: ['page'], isPlainGuest: (headers) => headers.cookie === undefined }) });

let live = tableWith('next');
let server: Server;
let base: string;
const records: AccessRecord[] = [];
const answer = createCacheAnswerer({ services: [service], table: () => live, logger: pino({ level: 'silent' }), answeredBy: true, onAccess: (record) => records.push(record) });

beforeAll(async () => {
  // What is not answered here gets a 599, so a test sees which way a request went.
  server = createServer((req, res) => answer(req, res) || res.writeHead(599).end());
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await app.request('/page/1');
});
afterAll(() => new Promise<void>((closed) => server.close(() => closed())));

function send(path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; raw: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, raw: res.rawHeaders, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

// Node adds these to every answer; the test is about the others.
const PER_CONNECTION = new Set(['Date', 'Connection', 'Keep-Alive']);
const namesOf = (raw: string[]): string[] => raw.filter((name, i) => i % 2 === 0 && !PER_CONNECTION.has(name));

describe('createCacheAnswerer', () => {
  it("answers a guest's GET of a stored page with its lines in conventional case, the answered-by mark, and counts the view", async () => {
    const before = views;
    const res = await send('/page/1');
    expect(res.status).toBe(200);
    expect(res.body).toBe('page 1');
    expect(namesOf(res.raw)).toEqual(['Cache-Control', 'Content-Type', 'ETag', 'Vary', 'X-Strangler-Answered-By', 'Content-Length']);
    expect(views).toBe(before + 1);
    expect(res.raw[res.raw.indexOf('X-Strangler-Answered-By') + 1]).toBe(`ts; route="/page"; revision=${live.revision}`);
    expect(records.at(-1)).toMatchObject({ event: 'access', method: 'GET', path: '/page/1', route: '/page', revision: live.revision, backend: 'ts', status: 200, failure: null });
    expect(records.at(-1)!.bytes_out).toBeGreaterThan('page 1'.length);
  });

  it('answers HEAD without a body or a view, and a matching If-None-Match with a bare 304', async () => {
    const before = views;
    const head = await send('/page/1', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(views).toBe(before);
    const etag = head.raw[head.raw.indexOf('ETag') + 1]!;
    const notModified = await send('/page/1', 'GET', { 'if-none-match': `W/${etag}` });
    expect(notModified.status).toBe(304);
    expect(namesOf(notModified.raw)).toEqual(['Cache-Control', 'ETag', 'Vary', 'X-Strangler-Answered-By']);
  });

  it('leaves to the ordinary way a cookie, another method, a path the table gives legacy, /_internal, a bad target and a miss', async () => {
    expect((await send('/page/1', 'GET', { cookie: 'x=1' })).status).toBe(599);
    expect((await send('/page/1', 'POST')).status).toBe(599);
    expect((await send('/page/2')).status).toBe(599);
    expect((await send('/_internal/v1/page/1')).status).toBe(599);
    expect((await send('/page/%00')).status).toBe(599);
    live = tableWith('legacy');
    try {
      expect((await send('/page/1')).status).toBe(599);
    } finally {
      live = tableWith('next');
    }
    expect((await send('/page/1')).status).toBe(200);
  });

  it('leaves to the ordinary way a route that announces its end, whose Deprecation and Sunset only that way adds', async () => {
    live = tableWith('next', ', deprecated: 2026-01-01, sunset: 2027-01-01');
    try {
      expect((await send('/page/1')).status).toBe(599);
    } finally {
      live = tableWith('next');
    }
    expect((await send('/page/1')).status).toBe(200);
  });

  it('logs a look-up that throws and leaves the request to the ordinary way', async () => {
    const lines: string[] = [];
    const broken = defineService({
      name: 'pages',
      app,
      cache: {
        lookup() {
          throw new Error('broken store');
        },
      },
    });
    const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(line) });
    const answerBroken = createCacheAnswerer({ services: [broken], table: () => live, logger, answeredBy: false });
    const res = { headersSent: false } as unknown as ServerResponse;
    expect(answerBroken({ method: 'GET', url: '/page/1', rawHeaders: [] } as unknown as IncomingMessage, res)).toBe(false);
    expect(lines.join('')).toContain('broken store');
  });
  it("answers a guest of a canary route from the cache only when the guest's bucket is TS's, and marks it canary", async () => {
    live = tableOf('{ path: /page, mode: canary, percent: 50, handler: pages, methods: [GET] }');
    try {
      // Guests are told apart by the address the front door saw (X-Real-IP).
      const addresses = Array.from({ length: 50 }, (_, i) => `203.0.113.${i}`);
      const onTs = addresses.find((ip) => canaryBucket('/page', `client:${ip}`) < 5000)!;
      const onLegacy = addresses.find((ip) => canaryBucket('/page', `client:${ip}`) >= 5000)!;
      const hit = await send('/page/1', 'GET', { 'x-real-ip': onTs });
      expect(hit.status).toBe(200);
      expect(hit.raw[hit.raw.indexOf('X-Strangler-Answered-By') + 1]).toMatch(/^ts; route="\/page"; revision=\S+; canary$/);
      expect((await send('/page/1', 'GET', { 'x-real-ip': onLegacy })).status).toBe(599);
    } finally {
      live = tableWith('next');
    }
  });
});
