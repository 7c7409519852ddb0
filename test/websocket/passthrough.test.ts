/**
 * WebSocket upgrades through every path, against a real WebSocket server standing in for legacy:
 * directly, through the Node edge, through nginx (when installed), through the TS server's proxy to
 * legacy, and through each front door to the TS server and on to legacy. Every path must carry text and
 * binary messages both ways, large frames, close codes in both directions, an abrupt end on either
 * side, and many sockets at once, and leave no socket open afterwards.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, seedDatabase, startEdge, startTs, tempDir, waitUntil, type RunningProcess } from '../helpers/processes.ts';
import { NGINX, startNginx } from '../helpers/stack.ts';
import { routesWith, startWsBackend, REFUSAL_BODY, type WsBackend } from './ws-backend.ts';
import { openClient, refusedUpgrade } from './ws-client.ts';

// The TS server needs a handler for a TS route; the forum's `boards` service is one it always mounts.
const routesYaml = routesWith('{ path: /ts, mode: next, handler: boards }');

interface Door {
  readonly name: string;
  /** ws:// origin plus the path prefix that routes where this door is meant to go. */
  readonly base: string;
  /** The process whose descriptors must come back down after the sockets close. */
  readonly pid?: number;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

const openSockets = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

let legacy: WsBackend;
let ts: RunningProcess;
let edge: RunningProcess;
let nginx: { url: string; stop(): Promise<void> } | undefined;
let cleanup: () => void;
const doors: Door[] = [];

beforeAll(async () => {
  legacy = await startWsBackend();
  const temp = tempDir('strangler-ws-');
  cleanup = temp.cleanup;
  const routes = join(temp.dir, 'routes.yaml');
  writeFileSync(routes, routesYaml);
  const env = { ROUTES: routes, LEGACY_PORT: String(legacy.port), FORUM_DB: seedDatabase(temp.dir), LOG_LEVEL: 'warn', INTERNAL_PORT: String(await freePort()) };
  ts = await startTs({ ...env, TS_PORT: '0' });
  const frontEnv = { ...env, TS_PORT: String(ts.port) };
  edge = await startEdge(frontEnv);
  if (NGINX.ok) nginx = await startNginx(temp.dir, frontEnv);
  const ws = (url: string): string => url.replace(/^http/, 'ws');
  doors.push({ name: 'direct', base: legacy.wsUrl });
  doors.push({ name: 'the TS server', base: `${ws(ts.url)}/ts`, pid: ts.child.pid });
  doors.push({ name: 'the edge', base: ws(edge.url), pid: edge.child.pid });
  doors.push({ name: 'the edge and the TS server', base: `${ws(edge.url)}/ts`, pid: edge.child.pid });
  if (nginx) {
    doors.push({ name: 'nginx', base: ws(nginx.url) });
    doors.push({ name: 'nginx and the TS server', base: `${ws(nginx.url)}/ts` });
  }
}, 90_000);

afterAll(async () => {
  await Promise.allSettled([edge?.stop(), nginx?.stop(), ts?.stop()]);
  await legacy?.close();
  cleanup?.();
});

const PATHS = ['direct', 'the TS server', 'the edge', 'the edge and the TS server', ...(NGINX.ok ? ['nginx', 'nginx and the TS server'] : [])];
const door = (name: string): Door => doors.find((d) => d.name === name)!;

describe.each(PATHS)('WebSocket through %s', (name) => {
  it('carries text and binary messages both ways, the backend speaking first', async () => {
    const client = await openClient(`${door(name).base}/echo`);
    expect((await client.next()).text).toBe('hello');
    client.ws.send('ünïcode text');
    const text = await client.next();
    expect([text.isBinary, text.text]).toEqual([false, 'ünïcode text']);
    const bytes = Buffer.from([0, 1, 2, 255, 254, 0x0d, 0x0a]);
    client.ws.send(bytes);
    const binary = await client.next();
    expect(binary.isBinary).toBe(true);
    expect(binary.data.equals(bytes)).toBe(true);
    client.ws.close(1000);
    expect((await client.closed).code).toBe(1000);
  });

  it('carries a 4 MiB binary frame and a 1 MiB text frame intact', async () => {
    const client = await openClient(`${door(name).base}/large`);
    await client.next();
    const big = randomBytes(4 * 1024 * 1024);
    client.ws.send(big);
    const echoed = await client.next(20_000);
    expect(echoed.isBinary).toBe(true);
    expect(sha256(echoed.data)).toBe(sha256(big));
    const text = 'x'.repeat(1024 * 1024 - 1) + 'é';
    client.ws.send(text);
    expect((await client.next(20_000)).text).toBe(text);
    client.ws.close();
    await client.closed;
  });

  it("passes the client's close code and reason to the backend, and the backend's to the client", async () => {
    const path = `/close-${name.replaceAll(' ', '-')}`;
    const fromClient = await openClient(`${door(name).base}${path}-client`);
    await fromClient.next();
    fromClient.ws.close(4001, 'client leaves');
    expect(await fromClient.closed).toEqual({ code: 4001, reason: 'client leaves' });
    await waitUntil(() => legacy.closes.some((c) => c.url.endsWith(`${path}-client`)), 'the backend to see the close');
    expect(legacy.closes.find((c) => c.url.endsWith(`${path}-client`))).toMatchObject({ code: 4001, reason: 'client leaves' });

    const fromBackend = await openClient(`${door(name).base}${path}-backend`);
    await fromBackend.next();
    fromBackend.ws.send('close:4002:backend leaves');
    expect(await fromBackend.closed).toEqual({ code: 4002, reason: 'backend leaves' });
  });

  it('ends the client connection when the backend drops its TCP connection, and the other way round', async () => {
    const dropped = await openClient(`${door(name).base}/drop-backend`);
    await dropped.next();
    dropped.ws.send('terminate');
    expect((await dropped.closed).code).toBe(1006);

    const before = legacy.closes.length;
    const leaving = await openClient(`${door(name).base}/drop-client`);
    await leaving.next();
    leaving.ws.terminate();
    await waitUntil(() => legacy.closes.slice(before).some((c) => c.url.endsWith('/drop-client')), 'the backend to see the client go');
    expect(legacy.closes.slice(before).find((c) => c.url.endsWith('/drop-client'))?.code).toBe(1006);
  });

  it('negotiates the subprotocol the backend picks', async () => {
    const client = await openClient(`${door(name).base}/protocol`, ['chat', 'superchat']);
    expect(client.ws.protocol).toBe('chat');
    client.ws.close();
    await client.closed;
  });

  it('carries 100 sockets at once, each its own messages, and leaves no connection open after they close', async () => {
    const { base, pid } = door(name);
    const baseline = pid === undefined ? 0 : openSockets(pid);
    const clients = await Promise.all(Array.from({ length: 100 }, () => openClient(`${base}/many`)));
    await Promise.all(clients.map((c) => c.next()));
    clients.forEach((c, i) => c.ws.send(`message ${i}`));
    const echoed = await Promise.all(clients.map((c) => c.next()));
    expect(echoed.map((m) => m.text)).toEqual(clients.map((_, i) => `message ${i}`));
    clients.forEach((c) => c.ws.close(1000));
    await Promise.all(clients.map((c) => c.closed));
    await waitUntil(() => legacy.openConnections() === 0, 'the backend to have no connection left', 15_000);
    if (pid !== undefined) await waitUntil(() => openSockets(pid) <= baseline, `${name}'s open descriptors to come back to ${baseline}`, 15_000);
  });

  it("answers a refused upgrade with the backend's status and body, as a direct connection gets them", async () => {
    const refusal = await refusedUpgrade(`${door(name).base}/refuse`);
    expect(refusal.status).toBe(403);
    expect(refusal.body).toBe(REFUSAL_BODY);
    expect(refusal.headers).toContain('X-Refused-By');
  });
});

describe.each(PATHS.filter((name) => !['direct', 'the TS server'].includes(name)))('the WebSocket handshake through %s', (name) => {
  it("reaches the backend with the front door's forwarded headers and request id, and no forged identity", async () => {
    const before = legacy.handshakes.length;
    const client = await openClient(`${door(name).base}/headers`, [], { 'X-User-Id': '1', 'X-Strangler-User': 'admin', 'X-Forwarded-For': '6.6.6.6' });
    const requestId = client.upgradeHeaders[client.upgradeHeaders.findIndex((h) => h.toLowerCase() === 'x-request-id') + 1];
    client.ws.close();
    await client.closed;
    const seen = legacy.handshakes.slice(before).find((h) => h.url.endsWith('/headers'))!;
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(requestId).toBe(seen.headers['x-request-id']);
    expect(seen.headers.upgrade).toBe('websocket');
    expect(Object.keys(seen.headers).filter((h) => h.startsWith('x-user') || h.startsWith('x-strangler'))).toEqual([]);
  });

  it('answers 404 to an upgrade under /_internal and never reaches the backend', async () => {
    const before = legacy.handshakes.length;
    const refusal = await refusedUpgrade(`${door(name).base.replace(/\/ts$/, '')}/_internal/v1/feed`);
    expect(refusal.status).toBe(404);
    expect(legacy.handshakes.length).toBe(before);
  });
});
