/**
 * A bare node:net server on 127.0.0.1 and a free port, for backends that must see (or write) exact bytes:
 * no HTTP parser between the test and the wire. Every open connection is destroyed on close.
 *
 * @example
 * const server = await startRawServer((socket) => socket.end('HTTP/1.1 204 No Content\r\n\r\n'));
 * await sendRaw(`http://127.0.0.1:${server.port}`, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
 * await server.close();
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';

export interface RawServer {
  readonly port: number;
  close(): Promise<void>;
}

export function startRawServer(onConnection: (socket: Socket) => void): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    onConnection(socket);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      }),
    ),
  );
}
