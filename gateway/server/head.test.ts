/**
 * HEAD on the TS server's public listener, set up as main.ts sets it up (node-server, the conventional
 * header case): a HEAD answer has its GET's header lines in its GET's order, for a service's answer and
 * for one proxied to legacy, and a proxied HEAD logs no error and prints no stack trace.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sendRaw } from '../../test/helpers/raw-http.ts';
import { createProxy } from '../proxy/index.ts';
import { parseRouteTable } from '../routes/index.ts';
import { createTsServer } from './app.ts';
import { ConventionalHeaderCase } from './header-case.ts';
import { defineService, type ServiceEnv } from './service.ts';

const things = new Hono<ServiceEnv>().get('/api/things/:id', (c) => {
  c.header('Cache-Control', 'no-store');
  c.header('X-Thing', c.req.param('id'));
  return c.json({ id: c.req.param('id') });
});

let legacy: Server;
let ts: Server;
let url: string;
const logLines: { level: number; msg?: string }[] = [];

beforeAll(async () => {
  // Like a WSGI app, legacy announces the same Content-Length for HEAD as for GET.
  const page = '<p>legacy page</p>';
  legacy = createServer((req, res) => {
    res.setHeader('X-Legacy', '1');
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Length', page.length);
    res.setHeader('Cache-Control', 'private');
    res.setHeader('Set-Cookie', ['a=1; Path=/', 'b=2; Path=/']);
    res.end(req.method === 'HEAD' ? undefined : page);
  });
  await new Promise<void>((done) => legacy.listen(0, '127.0.0.1', done));
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as { level: number });
      done();
    },
  });
  const logger = pino({ level: 'info' }, logStream);
  const table = parseRouteTable(
    `version: 1
backends:
  legacy: { url: "http://127.0.0.1:${(legacy.address() as AddressInfo).port}" }
  ts: { url: "http://127.0.0.1:8081" }
routes:
  - { path: /, mode: legacy }
  - { path: /api/things, mode: next, handler: things, methods: [GET] }
`,
    'head-routes.yaml',
    {},
  );
  const tsServer = createTsServer({
    table,
    services: [defineService({ name: 'things', app: things })],
    proxy: createProxy({ logger }),
    logger,
    ServerResponse: ConventionalHeaderCase,
  });
  await new Promise<void>((done) => {
    ts = serve({ fetch: tsServer.app.fetch, port: 0, hostname: '127.0.0.1', serverOptions: { ServerResponse: ConventionalHeaderCase } }, (info) => {
      url = `http://127.0.0.1:${info.port}`;
      done();
    }) as Server;
  });
});

afterAll(async () => {
  await new Promise((done) => ts.close(done));
  await new Promise((done) => legacy.close(done));
});

/** Status line and header lines, the Date value blanked; and what followed the head. */
async function ask(method: string, path: string): Promise<{ head: string[]; rest: string }> {
  const raw = await sendRaw(url, `${method} ${path} HTTP/1.1\r\nHost: forum.test\r\nConnection: close\r\n\r\n`);
  const end = raw.indexOf('\r\n\r\n');
  return {
    head: raw
      .slice(0, end)
      .split('\r\n')
      .map((line) => line.replace(/^Date: .*/, 'Date: *')),
    rest: raw.slice(end + 4),
  };
}

describe('HEAD on the TS server', () => {
  it.each([
    ['a service', '/api/things/7'],
    ['legacy, through the proxy', '/page'],
  ])("answers HEAD for %s with its GET's header lines in its GET's order and no body", async (_name, path) => {
    const [get, head] = [await ask('GET', path), await ask('HEAD', path)];
    expect(get.rest.length).toBeGreaterThan(0);
    expect(head.head).toEqual(get.head);
    expect(head.rest).toBe('');
  });

  it('logs no error and prints no stack trace for a HEAD it proxies to legacy', async () => {
    const printed = vi.spyOn(console, 'error');
    try {
      const before = logLines.length;
      for (let i = 0; i < 3; i++) expect((await ask('HEAD', `/proxied-${i}`)).head[0]).toBe('HTTP/1.1 200 OK');
      expect(printed).not.toHaveBeenCalled();
      expect(logLines.slice(before).filter((line) => line.level >= 50)).toEqual([]);
    } finally {
      printed.mockRestore();
    }
  });
});
