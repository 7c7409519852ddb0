/**
 * Bytes of one exchange on a kept-alive connection, counted as nginx counts `$request_length` and
 * `$bytes_sent`: the whole request as read (line, headers, body) and the whole response as written. A
 * socket carries its exchanges one after the other, so each one's bytes are what the socket read and
 * wrote since the previous one ended.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

interface Marks {
  read: number;
  written: number;
}

const marks = new WeakMap<Socket, Marks>();

export interface ExchangeBytes {
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/**
 * The bytes of the exchange that ends now on `req`'s socket; call it once, when the response has
 * finished or closed.
 *
 * @example
 * res.once('close', () => log({ ...exchangeBytes(req) }));
 */
export function exchangeBytes(req: IncomingMessage | ServerResponse['req']): ExchangeBytes {
  const socket = req.socket;
  const before = marks.get(socket) ?? { read: 0, written: 0 };
  const now = { read: socket.bytesRead, written: socket.bytesWritten };
  marks.set(socket, now);
  return { bytesIn: now.read - before.read, bytesOut: now.written - before.written };
}
