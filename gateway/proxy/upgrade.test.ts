import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResponses, sendRaw } from '../../test/helpers/raw-http.ts';
import type { Backend } from '../routes/types.ts';
import { loadErrorPages } from './error-pages.ts';
import { createUpgradeProxy, type UpgradeOutcome } from './upgrade.ts';

const HANDSHAKE = 'GET /feed HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n';
const NEXT = 'GET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';

let backend: Server;
let front: Server;
let url: string;
const outcomes: UpgradeOutcome[] = [];
const upgrades = createUpgradeProxy({ logger: pino({ level: 'silent' }), timeoutMs: 5000, pages: loadErrorPages(), reuseConnection: (socket) => front.emit('connection', socket) });

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

beforeAll(async () => {
  // Refuses every upgrade with 426 and a body, as an app without WebSocket support would.
  backend = createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain', 'Content-Length': 8 });
    res.end('no thank');
  });
  const port = await listen(backend);
  const target: Backend = { name: 'legacy', url: `http://127.0.0.1:${port}`, host: '127.0.0.1', port };
  front = createServer((_req, res) => res.end('served'));
  front.on('upgrade', (req, socket, head) => void upgrades.forward(req, socket, head, target).then((outcome) => outcomes.push(outcome)));
  url = `http://127.0.0.1:${await listen(front)}`;
});

afterAll(async () => {
  upgrades.close();
  await Promise.all([new Promise((done) => front.close(done)), new Promise((done) => backend.close(done))]);
  front.closeAllConnections();
});

describe('createUpgradeProxy', () => {
  it("passes a backend's refusal on, settles with its status, holds nothing open, and serves the next request on the connection", async () => {
    const answers = parseResponses(await sendRaw(url, HANDSHAKE + NEXT));
    expect(answers.map((a) => [a.status, a.body])).toEqual([
      [426, 'no thank'],
      [200, 'served'],
    ]);
    expect(outcomes.map((o) => o.status)).toEqual([426]);
    expect(upgrades.open()).toBe(0);
  });
});
