import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createProxy } from '../proxy/index.ts';
import { parseRouteTable } from '../routes/index.ts';
import { createTsServer, type TsServer } from './app.ts';
import { defineService, type ServiceEnv } from './service.ts';

const logger = pino({ level: 'silent' });

/** A WebSocket server on a node:http listener that greets each connection with `hello from <name>`. */
async function greeter(
  name: string,
  attach: (server: Server, wss: WebSocketServer) => void = (server, wss) =>
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))),
) {
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws, req) => ws.send(`hello from ${name} at ${req.url}`));
  const server = createServer((_req, res) => res.end());
  attach(server, wss);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, wss, port: (server.address() as AddressInfo).port };
}

const firstMessage = (url: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('message', (data) => {
      resolve(data.toString());
      ws.close();
    });
    ws.once('error', reject);
  });

describe('upgrade requests on the TS server', () => {
  let legacy: Awaited<ReturnType<typeof greeter>>;
  let ts: Server;
  let shutdowns = 0;
  let server: TsServer;
  const tsWss = new WebSocketServer({ noServer: true });
  tsWss.on('connection', (ws, req) => ws.send(`hello from ts at ${req.url}`));
  beforeAll(async () => {
    legacy = await greeter('legacy');
    const table = parseRouteTable(
      `version: 1
backends:
  legacy: { url: "http://127.0.0.1:${legacy.port}" }
  ts: { url: "http://127.0.0.1:8081" }
routes:
  - { path: /, mode: legacy }
  - { path: /sockets, mode: next, handler: sockets, methods: [GET] }
  - { path: /plain, mode: next, handler: plain, methods: [GET] }
  - { path: /posts, mode: next, handler: sockets, methods: [POST] }`,
      'upgrade-routes.yaml',
      {},
    );
    const sockets = defineService({
      name: 'sockets',
      app: new Hono<ServiceEnv>().get('/sockets/*', (c) => c.text('plain GET')),
      upgrade: (req, socket, head) => tsWss.handleUpgrade(req, socket, head, (ws) => tsWss.emit('connection', ws, req)),
      shutdown: () => void (shutdowns += 1),
    });
    const plain = defineService({ name: 'plain', app: new Hono<ServiceEnv>().get('/plain/*', (c) => c.text('plain')) });
    server = createTsServer({ table, services: [sockets, plain], proxy: createProxy({ logger }), logger });
    ts = createServer();
    ts.on('upgrade', server.upgrade);
    await new Promise<void>((done) => ts.listen(0, '127.0.0.1', done));
  });
  afterAll(async () => {
    ts.closeAllConnections();
    await new Promise((done) => ts.close(done));
    legacy.server.closeAllConnections();
    await new Promise((done) => legacy.server.close(done));
  });
  const url = (path: string): string => `ws://127.0.0.1:${(ts.address() as AddressInfo).port}${path}`;

  it('hands an upgrade on a route that moved GET to the service’s upgrade handler', async () => {
    expect(await firstMessage(url('/sockets/live?x=1'))).toBe('hello from ts at /sockets/live?x=1');
  });

  it('passes every other upgrade on to legacy: legacy routes, services without a handler, routes that did not move GET', async () => {
    expect(await firstMessage(url('/chat'))).toBe('hello from legacy at /chat');
    expect(await firstMessage(url('/plain/x'))).toBe('hello from legacy at /plain/x');
    expect(await firstMessage(url('/posts/1'))).toBe('hello from legacy at /posts/1');
  });

  it('tells every service to end its long-lived connections when the upgrades are closed', async () => {
    const before = shutdowns;
    server.closeUpgrades();
    expect(shutdowns).toBe(before + 1);
  });
});
