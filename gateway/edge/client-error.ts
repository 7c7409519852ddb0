/**
 * Requests Node's parser refuses before any handler sees them (bad chunk sizes, conflicting or
 * malformed Content-Length, obfuscated Transfer-Encoding, bare LF, NUL in a header, an unknown or
 * lowercase method, an oversized request head): answered with the status and page nginx answers them
 * with, in nginx's header order, instead of Node's bare `400`/`431` without a body. Both the edge and the
 * TS server's public listener use it, so every Node door answers a refused request alike.
 *
 * @example
 * server.on('clientError', answerClientError({ pages, logger }));
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log/index.ts';
import type { ErrorPages } from '../proxy/index.ts';
import { mintRequestId } from '../request-id/index.ts';
import { NGINX_REASONS } from './header-order.ts';

// Every parse error is a 400 at nginx. A request head over the limit (gateway/proxy/header-limits.ts) is
// 431 and its page: nginx's own 414 and 494 are mapped to it in its config, since each built-in page
// names nginx.
const statusFor = (code: string | undefined): 400 | 431 => (code === 'HPE_HEADER_OVERFLOW' ? 431 : 400);
// Like nginx's lingering close: the unread rest of a refused head is drained for a moment, so closing
// does not reset the connection before the client has read the answer.
const LINGER_MS = 2_000;

export interface ClientErrorOptions {
  readonly pages: ErrorPages;
  readonly logger: Logger;
}

/** The raw bytes of the gateway's page for a request that could not be parsed; the connection closes after it. */
export function parseErrorAnswer(pages: ErrorPages, requestId: string, now = new Date(), status: 400 | 431 = 400): Buffer {
  const body = pages[status];
  const head = [
    `HTTP/1.1 ${status} ${NGINX_REASONS[status] ?? STATUS_CODES[status]}`,
    `Date: ${now.toUTCString()}`,
    'Content-Type: text/html; charset=utf-8',
    `Content-Length: ${body.length}`,
    'Connection: close',
    'Cache-Control: no-store',
    `X-Request-Id: ${requestId}`,
  ];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

export const answerClientError = ({ pages, logger }: ClientErrorOptions) => {
  // Node's parser reads the socket itself and reports the rest of a refused head as more errors; the
  // answer is already on its way and the linger timer closes the socket.
  const answered = new WeakSet<Duplex>();
  return function clientError(err: Error & { code?: string }, socket: Duplex): void {
    if (answered.has(socket)) return;
    // A connection reset or a timeout has nobody left to read an answer (Node's own default does the same).
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // An idle or slow connection: nginx closes it without a word (client_header_timeout).
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      socket.destroy();
      return;
    }
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    // An answer that closes the connection was already given (the edge refused the request whose body
    // now fails to parse): nothing more is written, as at nginx; Node ends the socket after that answer.
    if (inFlight && (inFlight as ServerResponse & { _last?: boolean })._last) return;
    // An answer to an earlier request on this connection is being written: the page follows it.
    if (inFlight && inFlight.headersSent && !inFlight.writableFinished) {
      inFlight.once('finish', () => clientError(err, socket));
      return;
    }
    // The request in flight had a malformed body (a bad chunk): it ends here, and so does its forward.
    const abandoned = inFlight && !inFlight.headersSent ? inFlight.req : undefined;
    const requestId = mintRequestId();
    const status = statusFor(err.code);
    logger.info({ event: 'access', request_id: requestId, status, refused: err.code ?? 'parse_error', reason: err.message }, 'request refused by the parser');
    answered.add(socket);
    socket.on('error', () => socket.destroy());
    if (status === 431) {
      // The client may still be sending the oversized head: read and drop it until it stops or the linger ends.
      socket.removeAllListeners('data');
      socket.on('data', () => undefined);
      socket.on('end', () => socket.destroy());
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    }
    socket.end(parseErrorAnswer(pages, requestId, new Date(), status), () => abandoned?.destroy());
  };
};
