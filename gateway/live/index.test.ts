import { connect, type Socket } from 'node:net';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { CLOSE, createLiveRegistry, createWebSocketEndpoint, nodeResponseSink, openSseStream, readableStreamSink, type LiveRegistry, type SseCloseReason } from './index.ts';

const logger = pino({ level: 'silent' });
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => (s.closeAllConnections(), s.close(done)))));
});

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A node-server on port 0 whose GET /sse opens a stream; the test drives it through `streams`. */
async function sseServer(registry: LiveRegistry, maxBufferedBytes = 64 * 1024) {
  const streams: { send(bytes: Uint8Array): boolean; end(): void }[] = [];
  const reasons: SseCloseReason[] = [];
  const app = new Hono<{ Bindings: HttpBindings }>().get('/sse', (c) => {
    if (!registry.hasRoom()) return new Response('full\n', { status: 503 });
    c.env.outgoing.writeHead(200, { 'content-type': 'text/event-stream' });
    const sink = nodeResponseSink(c.env.outgoing);
    const stream = openSseStream({ registry, sink, maxBufferedBytes, onClose: (reason) => reasons.push(reason) })!;
    stream.send(new TextEncoder().encode(': connected\n\n'));
    streams.push(stream);
    return RESPONSE_ALREADY_SENT;
  });
  const server = await new Promise<Server>((done) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => done(s as Server)) as Server;
  });
  servers.push(server);
  return { port: (server.address() as AddressInfo).port, streams, reasons };
}

function rawGet(port: number, path: string): { socket: Socket; text: () => string; closed: Promise<void> } {
  const socket = connect({ host: '127.0.0.1', port });
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<void>((done) => socket.on('close', () => done()));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  return { socket, text: () => text, closed };
}

describe('openSseStream', () => {
  it('sends a keepalive comment on a quiet stream before the heartbeat limit passes', async () => {
    const registry = createLiveRegistry({ maxConnections: 10, heartbeatMs: 200 });
    const { port } = await sseServer(registry);
    const client = rawGet(port, '/sse');
    await until(() => client.text().includes(': keepalive\n\n'), 'a keepalive');
    expect(client.text()).toMatch(/^HTTP\/1.1 200 OK\r\n[\s\S]*: connected\n\n/);
    client.socket.destroy();
    await until(() => registry.size() === 0, 'the registry to let go of the closed stream');
  });

  it('answers 503 past the connection ceiling and accepts again once a stream ends', async () => {
    const registry = createLiveRegistry({ maxConnections: 1, heartbeatMs: 60_000 });
    const { port, reasons } = await sseServer(registry);
    const first = rawGet(port, '/sse');
    await until(() => registry.size() === 1, 'the first stream');
    const second = rawGet(port, '/sse');
    await until(() => second.text().includes('full'), 'the refusal');
    expect(second.text()).toMatch(/^HTTP\/1.1 503 /);
    first.socket.destroy();
    await until(() => reasons.includes('client'), 'the first stream to end');
    const third = rawGet(port, '/sse');
    await until(() => third.text().includes(': connected'), 'the third stream');
    second.socket.destroy();
    third.socket.destroy();
  });

  it('cuts a client that stops reading once its backlog passes the cap, and keeps serving others', async () => {
    const registry = createLiveRegistry({ maxConnections: 10, heartbeatMs: 60_000 });
    const { port, streams, reasons } = await sseServer(registry, 64 * 1024);
    const stalled = rawGet(port, '/sse');
    await until(() => streams.length === 1, 'the stream');
    stalled.socket.pause();
    const chunk = new TextEncoder().encode(`data: ${'x'.repeat(16 * 1024)}\n\n`);
    // The kernel's socket buffers take some megabytes first; the cap applies to what waits in the process.
    let sent = 0;
    while (streams[0]!.send(chunk) && sent < 10_000) sent += 1;
    expect(reasons).toEqual(['slow']);
    expect(registry.size()).toBe(0);
    // What the client reads is what was queued before the cut, then the end of the connection.
    stalled.socket.resume();
    await stalled.closed;
    const next = rawGet(port, '/sse');
    await until(() => next.text().includes(': connected'), 'a new stream after the cut');
    next.socket.destroy();
  });

  it('also writes to a Fetch Response body where no Node response stands behind the request', async () => {
    const registry = createLiveRegistry({ maxConnections: 10, heartbeatMs: 60_000 });
    const { sink, body } = readableStreamSink();
    const reasons: SseCloseReason[] = [];
    const stream = openSseStream({ registry, sink, maxBufferedBytes: 1024, onClose: (reason) => reasons.push(reason) })!;
    stream.send(new TextEncoder().encode('data: 1\n\n'));
    stream.end();
    expect(await new Response(body).text()).toBe('data: 1\n\n');
    expect(reasons).toEqual(['server']);
    expect(registry.size()).toBe(0);
  });

  it('ends every stream at shutdown and refuses new ones', async () => {
    const registry = createLiveRegistry({ maxConnections: 10, heartbeatMs: 60_000 });
    const { port, reasons } = await sseServer(registry);
    const client = rawGet(port, '/sse');
    await until(() => registry.size() === 1, 'the stream');
    registry.close();
    expect(reasons).toEqual(['shutdown']);
    await until(() => client.text().endsWith('0\r\n\r\n'), 'the chunked body to end');
    client.socket.destroy();
  });
});

/** A plain node:http server whose upgrades go to the endpoint. */
async function wsServer(registry: LiveRegistry, { maxFrameBytes = 1024, maxBufferedBytes = 64 * 1024 } = {}) {
  const sockets: { send(text: string): boolean }[] = [];
  const endpoint = createWebSocketEndpoint({
    registry,
    logger,
    maxFrameBytes,
    maxBufferedBytes,
    open: (socket) => {
      sockets.push(socket);
      return { message: (text) => void socket.send(`echo:${text}`), closed() {} };
    },
  });
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket, head) => endpoint.handleUpgrade(req, socket, head));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  servers.push(server);
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, sockets };
}

function client(url: string) {
  const ws = new WebSocket(url);
  const messages: string[] = [];
  ws.on('message', (data) => messages.push(data.toString()));
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((done) => ws.on('close', (code, reason) => done({ code, reason: reason.toString() })));
  const opened = new Promise<void>((done) => ws.once('open', () => done()));
  return { ws, messages, closed, opened };
}

describe('createWebSocketEndpoint', () => {
  it('hands text frames to the handler and answers what it sends', async () => {
    const { url } = await wsServer(createLiveRegistry({ maxConnections: 10, heartbeatMs: 60_000 }));
    const c = client(url);
    await c.opened;
    c.ws.send('hello');
    await until(() => c.messages.length === 1, 'the echo');
    expect(c.messages).toEqual(['echo:hello']);
    c.ws.close();
  });

  it('closes with 1003 on a binary frame, 1009 on a frame past the limit and 1007 on invalid UTF-8', async () => {
    const { url } = await wsServer(createLiveRegistry({ maxConnections: 10, heartbeatMs: 60_000 }), { maxFrameBytes: 100 });
    const binary = client(url);
    await binary.opened;
    binary.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await binary.closed).toMatchObject({ code: CLOSE.UNSUPPORTED_DATA, reason: expect.stringMatching(/binary/) });
    const big = client(url);
    await big.opened;
    big.ws.send('x'.repeat(101));
    expect((await big.closed).code).toBe(CLOSE.MESSAGE_TOO_BIG);
    const bad = client(url);
    await bad.opened;
    bad.ws.send(Buffer.from([0xff, 0xfe]), { binary: false });
    expect((await bad.closed).code).toBe(CLOSE.INVALID_PAYLOAD);
  });

  it('closes a connection past the ceiling with 1013 and says why', async () => {
    const { url } = await wsServer(createLiveRegistry({ maxConnections: 1, heartbeatMs: 60_000 }));
    const first = client(url);
    await first.opened;
    const second = client(url);
    expect(await second.closed).toMatchObject({ code: CLOSE.TRY_AGAIN_LATER, reason: expect.stringMatching(/try again later/) });
    first.ws.close();
  });

  it('pings a quiet connection, and the client that answers stays open', async () => {
    const registry = createLiveRegistry({ maxConnections: 10, heartbeatMs: 100 });
    const { url } = await wsServer(registry);
    const c = client(url);
    let pings = 0;
    c.ws.on('ping', () => (pings += 1));
    await c.opened;
    await until(() => pings >= 3, 'three pings');
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.ws.close();
  });

  it('closes every connection with 1001 at shutdown', async () => {
    const registry = createLiveRegistry({ maxConnections: 10, heartbeatMs: 60_000 });
    const { url } = await wsServer(registry);
    const c = client(url);
    await c.opened;
    await until(() => registry.size() === 1, 'the connection');
    registry.close();
    expect((await c.closed).code).toBe(CLOSE.GOING_AWAY);
  });

  it('closes a client that stops reading with 1008 once its send buffer passes the cap', async () => {
    const registry = createLiveRegistry({ maxConnections: 10, heartbeatMs: 60_000 });
    const { url, sockets } = await wsServer(registry, { maxBufferedBytes: 64 * 1024 });
    const c = client(url);
    await c.opened;
    await until(() => sockets.length === 1, 'the server side');
    (c.ws as unknown as { _socket: Socket })._socket.pause();
    const text = 'y'.repeat(16 * 1024);
    let sent = 0;
    while (sockets[0]!.send(text) && sent < 10_000) sent += 1;
    expect(sent).toBeLessThan(10_000);
    (c.ws as unknown as { _socket: Socket })._socket.resume();
    expect((await c.closed).code).toBe(CLOSE.POLICY_VIOLATION);
  });
});
