/**
 * Requests Node's parser refuses before any handler sees them (bad chunk sizes, conflicting or
 * malformed Content-Length, obfuscated Transfer-Encoding, bare LF, NUL in a header, an unknown or
 * lowercase method, an oversized request head): answered with the status and page nginx answers them
 * with, in nginx's header order, instead of Node's bare `400`/`431` without a body.
 *
 * @example
 * server.on('clientError', answerClientError({ pages, logger }));
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log/index.ts';
import type { ErrorPages } from '../proxy/index.ts';
import { mintRequestId } from '../request-id/index.ts';

// Every parse error is a 400 at nginx, and so is an oversized request head: nginx's own 414 and 494
// ("Request Header Or Cookie Too Large") answers are mapped to the 400 page in its config, since each
// built-in page names nginx.
const PAGE_STATUS = 400;

export interface ClientErrorOptions {
  readonly pages: ErrorPages;
  readonly logger: Logger;
}

/** The raw bytes of the gateway's page for a request that could not be parsed; the connection closes after it. */
export function parseErrorAnswer(pages: ErrorPages, requestId: string, now = new Date()): Buffer {
  const body = pages[PAGE_STATUS];
  const head = [
    'HTTP/1.1 400 Bad Request',
    `Date: ${now.toUTCString()}`,
    'Content-Type: text/html; charset=utf-8',
    `Content-Length: ${body.length}`,
    'Connection: close',
    'Cache-Control: no-store',
    `X-Request-Id: ${requestId}`,
  ];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

export const answerClientError = ({ pages, logger }: ClientErrorOptions) =>
  function clientError(err: Error & { code?: string }, socket: Duplex): void {
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
    logger.info({ event: 'access', request_id: requestId, status: PAGE_STATUS, refused: err.code ?? 'parse_error', reason: err.message }, 'request refused by the parser');
    socket.on('error', () => socket.destroy());
    socket.end(parseErrorAnswer(pages, requestId), () => abandoned?.destroy());
  };
