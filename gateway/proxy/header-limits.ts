/**
 * How large a header block may be on every door, and the one answer past the limit: request heads up to
 * 32 KiB (431 and its page beyond), response heads up to 64 KiB (502 and its page beyond). nginx gets the
 * same limits from the generated config (large_client_header_buffers, proxy_buffer_size).
 *
 * @example
 * const server = createServer({ maxHeaderSize: MAX_REQUEST_HEAD_BYTES }, handler);
 * server.on('clientError', answerClientError(loadErrorPages()));
 */
import { STATUS_CODES, type Agent, type ClientRequest } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorPages } from './error-pages.ts';

/** The largest request line plus header block a front door accepts. */
export const MAX_REQUEST_HEAD_BYTES = 32 * 1024;
/** The largest response status line plus header block the proxy passes on. */
export const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;
/** The TS server sits behind a door, which adds its own headers (request id, X-Forwarded-*) to what it passed. */
export const BEHIND_DOOR_REQUEST_HEAD_BYTES = MAX_REQUEST_HEAD_BYTES + 8 * 1024;
// Like nginx's lingering close: the unread rest of a refused head is drained for a moment, so closing
// does not reset the connection before the client has read the answer.
const LINGER_MS = 2_000;

// What Node itself answers to the other errors of its parser, kept as it is (the front door's pages for
// those are a separate matter).
const NODE_DEFAULT_ANSWERS: Readonly<Record<string, string>> = {
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
};
const NODE_BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

/**
 * A `clientError` listener for a server whose parser refuses a request: a head over the limit gets 431
 * with the gateway's page, as from nginx; anything else gets what Node answers by default.
 *
 * @example
 * server.on('clientError', answerClientError(pages));
 */
export function answerClientError(pages: ErrorPages): (err: Error & { code?: string }, socket: Duplex) => void {
  // Node's parser reads the socket itself and reports the rest of a refused head as more errors; the
  // answer is already on its way and the linger timer closes the socket.
  const answered = new WeakSet<Duplex>();
  return function clientError(err, socket) {
    if (answered.has(socket)) return;
    if (err.code !== 'HPE_HEADER_OVERFLOW') {
      if (socket.writable) socket.write(NODE_DEFAULT_ANSWERS[err.code ?? ''] ?? NODE_BAD_REQUEST);
      socket.destroy();
      return;
    }
    if (!socket.writable) return void socket.destroy();
    const page = pages[431];
    answered.add(socket);
    socket.removeAllListeners('data');
    socket.on('data', () => undefined);
    socket.on('end', () => socket.destroy());
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.write(
      `HTTP/1.1 431 ${STATUS_CODES[431]}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${page.length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n`,
    );
    socket.end(page);
  };
}

type AddRequest = (req: ClientRequest & { maxHeaderSize?: number }, options: unknown) => void;

/**
 * `agent`, with every request through it parsing response heads up to {@link MAX_RESPONSE_HEAD_BYTES}
 * (Node's default is 16 KiB). Beyond it the parser fails and the client gets the 502 page.
 *
 * @example
 * const agent = withResponseHeadLimit(new Agent({ keepAlive: true }));
 */
export function withResponseHeadLimit(agent: Agent): Agent {
  // Node reads req.maxHeaderSize when it sets up the response parser, a tick after the request is built;
  // the agent's addRequest (not in the typings) is the one hook between the two that every request passes.
  const internals = agent as Agent & { addRequest: AddRequest };
  const addRequest = internals.addRequest.bind(agent);
  internals.addRequest = (req, options) => {
    req.maxHeaderSize = MAX_RESPONSE_HEAD_BYTES;
    addRequest(req, options);
  };
  return agent;
}
