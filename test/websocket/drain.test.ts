/**
 * SIGTERM with WebSocket connections open: the Node edge and the TS server end their tunnels, the
 * backend sees each connection go, and the process exits 0 instead of waiting for the sockets forever.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, seedDatabase, startEdge, startTs, tempDir, waitUntil, type RunningProcess } from '../helpers/processes.ts';
import { routesWith, startWsBackend, type WsBackend } from './ws-backend.ts';
import { openClient } from './ws-client.ts';

let legacy: WsBackend;
let dir: string;
let cleanup: () => void;
let env: Record<string, string>;

beforeAll(async () => {
  legacy = await startWsBackend();
  ({ dir, cleanup } = tempDir('strangler-ws-drain-'));
  writeFileSync(join(dir, 'routes.yaml'), routesWith('{ path: /ts, mode: next, handler: boards }'));
  env = {
    ROUTES: join(dir, 'routes.yaml'),
    LEGACY_PORT: String(legacy.port),
    TS_PORT: String(await freePort()),
    FORUM_DB: seedDatabase(dir),
    LOG_LEVEL: 'warn',
    INTERNAL_PORT: String(await freePort()),
  };
});

afterAll(async () => {
  await legacy?.close();
  cleanup?.();
});

describe.each([
  // Through the edge, to legacy; through the TS server, along a TS route to its proxy to legacy.
  ['the Node edge', '/held', (e: Record<string, string>) => startEdge(e)],
  ['the TS server', '/ts/held', (e: Record<string, string>) => startTs({ ...e, TS_PORT: '0' })],
])('SIGTERM on %s with WebSockets open', (_name, path, start) => {
  let server: RunningProcess;
  afterAll(async () => {
    await server?.stop();
  });

  it('closes every open socket, the backend sees them go, and the process exits 0', async () => {
    server = await start(env);
    const before = legacy.closes.length;
    const clients = await Promise.all(Array.from({ length: 5 }, () => openClient(`${server.url.replace(/^http/, 'ws')}${path}`)));
    await Promise.all(clients.map((c) => c.next()));
    const exited = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    await Promise.all(clients.map((c) => c.closed));
    await waitUntil(() => legacy.closes.length - before === 5, 'the backend to see all five sockets close');
    await waitUntil(() => legacy.openConnections() === 0, 'the backend to have no connection left');
  });
});
