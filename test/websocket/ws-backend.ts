/**
 * A real WebSocket server standing in for legacy (the `ws` package on node:http): it echoes every
 * message with its type (text stays text, binary stays binary), sends `hello` on connect, and obeys
 * a few text commands so tests can make the backend end a connection:
 *
 * - `close:<code>:<reason>` closes with that code and reason;
 * - `terminate` drops the TCP connection without a close frame.
 *
 * Upgrades to a path with `/refuse` get `403` with a body and no 101; plain requests get `200 plain`. Every handshake
 * is recorded with its headers, and every close with its code and reason as the server saw them.
 *
 * @example
 * const legacy = await startWsBackend();
 * const ws = new WebSocket(`${legacy.wsUrl}/echo`);
 * await legacy.close();
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';

export interface Handshake {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

export interface ServerSideClose {
  readonly url: string;
  readonly code: number;
  readonly reason: string;
}

export interface WsBackend {
  readonly port: number;
  readonly url: string;
  readonly wsUrl: string;
  readonly handshakes: Handshake[];
  readonly closes: ServerSideClose[];
  /** TCP connections open on the server now, upgraded ones included. */
  openConnections(): number;
  close(): Promise<void>;
}

/** A route table for these tests: legacy by default, plus one route (a YAML list item). */
export const routesWith = (route: string): string => `version: 1
backends:
  legacy: { url: "http://127.0.0.1:\${LEGACY_PORT}" }
  ts: { url: "http://127.0.0.1:\${TS_PORT}" }
routes:
  - { path: /, mode: legacy }
  - ${route}
`;

export const REFUSAL_BODY = 'no WebSocket for you\n';

export async function startWsBackend(): Promise<WsBackend> {
  const handshakes: Handshake[] = [];
  const closes: ServerSideClose[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.end('plain');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024, handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false) });
  server.on('upgrade', (req, socket, head) => {
    handshakes.push({ url: req.url ?? '', headers: req.headers });
    if (req.url?.includes('/refuse')) {
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: ${REFUSAL_BODY.length}\r\nX-Refused-By: legacy\r\nConnection: close\r\n\r\n${REFUSAL_BODY}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const url = req.url ?? '';
      ws.on('message', (data, isBinary) => {
        const text = isBinary ? '' : data.toString();
        if (text.startsWith('close:')) {
          const [, code, reason = ''] = text.split(':');
          ws.close(Number(code), reason);
        } else if (text === 'terminate') {
          ws.terminate();
        } else {
          ws.send(data, { binary: isBinary });
        }
      });
      ws.on('close', (code, reason) => closes.push({ url, code, reason: reason.toString() }));
      ws.on('error', () => ws.terminate());
      ws.send('hello');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    handshakes,
    closes,
    openConnections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        wss.close();
        server.close(() => resolve());
      }),
  };
}
