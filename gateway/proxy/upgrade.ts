/**
 * Upgraded connections (WebSocket, any `Upgrade:` protocol) through the gateway: the request goes to the
 * backend with its `Upgrade` header on a fresh connection; a `101` from the backend turns both sockets
 * into one raw tunnel, and anything else is passed back as an ordinary answer (or the gateway's error
 * page when the backend cannot be reached), the way nginx does.
 *
 * @example
 * const upgrades = createUpgradeProxy({ logger, timeoutMs: 60_000, pages: loadErrorPages() });
 * server.on('upgrade', (req, socket, head) => upgrades.forward(req, socket, head, table.backends.legacy, { path: req.url }));
 * // on shutdown:
 * upgrades.close();
 */
import { request, ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log/index.ts';
import type { AnswerHeaders, Backend } from '../routes/types.ts';
import { sendErrorPage, type ErrorPages, type ErrorPageStatus } from './error-pages.ts';
import { classifyProxyError, FAILURE_STATUS, UpstreamTimeoutError } from './errors.ts';
import { buildRequestHeaders, filterResponseHeaders, IDENTIFYING_RESPONSE_HEADERS } from './headers.ts';

export interface UpgradeProxyOptions {
  readonly logger: Logger;
  /**
   * Longest the backend may stay silent before its answer, and longest a tunnel may carry nothing in
   * either direction (nginx's proxy_read_timeout does both); a live WebSocket pings within it.
   */
  readonly timeoutMs: number;
  readonly pages: ErrorPages;
  /** The response class the listener uses (header order, header case), so refusals look like its answers. */
  readonly ServerResponse?: typeof ServerResponse;
  /**
   * Give a connection back to the HTTP server after an answer that is not a 101 (the listener's
   * `server.emit('connection', socket)`), so the client may send its next request on it, as nginx allows.
   * Without it the connection closes after such an answer.
   */
  readonly reuseConnection?: (socket: Duplex) => void;
}

export interface UpgradeForwardOptions {
  /** Request-target sent upstream; default `req.url`. */
  readonly path?: string;
  /** Request headers to set upstream; `undefined` removes one. */
  readonly headers?: Record<string, string | undefined>;
  /** For log lines. */
  readonly requestId?: string;
  /** Headers every answer to the client carries, the 101 included (the front door's X-Request-Id). */
  readonly answerHeaders?: Record<string, string>;
  /**
   * Added to the backend's answer (the 101 or a refusal), not to the gateway's own error pages, as
   * ForwardOptions.answerHeaders: a route's Deprecation, Sunset and Link.
   */
  readonly routeHeaders?: AnswerHeaders;
}

/** What became of one upgrade request. */
export interface UpgradeOutcome {
  /** 101 when a tunnel was opened; the answer's status otherwise; null when the client left first. */
  readonly status: number | null;
  /** Bytes carried each way while the tunnel was open. */
  readonly bytesUp: number;
  readonly bytesDown: number;
}

export interface UpgradeProxy {
  /** Send the upgrade request to `target`; resolves when the tunnel (or the answer) is over. Never rejects. */
  forward(req: IncomingMessage, socket: Duplex, head: Buffer, target: Backend, options?: UpgradeForwardOptions): Promise<UpgradeOutcome>;
  /**
   * Answer an upgrade request the gateway refuses itself (400, 404, 405, ...) with an ordinary response
   * written on its socket, then close the connection.
   */
  respond(req: IncomingMessage, socket: Duplex, head: Buffer, write: (res: ServerResponse) => void): void;
  /** Tunnels and upgrade requests open now. */
  open(): number;
  /** End every open tunnel and pending upgrade request. */
  close(): void;
}

export function createUpgradeProxy({ logger, timeoutMs, pages, ServerResponse: Response = ServerResponse, reuseConnection }: UpgradeProxyOptions): UpgradeProxy {
  const open = new Set<Duplex>();

  /** An ordinary HTTP response on a socket the server handed over; after it the connection is reused or closed. */
  function responseOn(req: IncomingMessage, socket: Duplex, answerHeaders: Record<string, string> = {}): ServerResponse {
    const res = new Response(req);
    res.shouldKeepAlive = reuseConnection !== undefined && wantsKeepAlive(req);
    res.assignSocket(socket as Socket);
    for (const [name, value] of Object.entries(answerHeaders)) res.setHeader(name, value);
    res.once('finish', () => {
      res.detachSocket(socket as Socket);
      // As Node's server does once an answer is out, so listeners waiting for 'close' hear of it.
      process.nextTick(() => res.emit('close'));
      const closing = (res as ServerResponse & { _last?: boolean })._last !== false || !res.shouldKeepAlive;
      if (closing || reuseConnection === undefined || socket.destroyed) socket.end();
      else reuseConnection(socket);
    });
    return res;
  }

  function respond(req: IncomingMessage, socket: Duplex, head: Buffer, write: (res: ServerResponse) => void): void {
    socket.on('error', () => socket.destroy());
    // Whatever the client sent after the request head belongs to its next request.
    if (head.length > 0) socket.unshift(head);
    write(responseOn(req, socket));
  }

  function forward(req: IncomingMessage, socket: Duplex, head: Buffer, target: Backend, options: UpgradeForwardOptions = {}): Promise<UpgradeOutcome> {
    const { path = req.url ?? '/', headers = {}, requestId, answerHeaders = {}, routeHeaders = {} } = options;
    // The backend's answer carries these after its own headers; a single value replaces the backend's.
    const routeLines = Object.entries(routeHeaders).flatMap(([name, value]) => (typeof value === 'string' ? [value] : value).map((item): [string, string] => [name, item]));
    const replaced = lowerKeys({ ...answerHeaders, ...Object.fromEntries(Object.entries(routeHeaders).filter((entry) => typeof entry[1] === 'string')) });
    const upgrade = req.headers.upgrade ?? '';
    const upstreamHeaders = buildRequestHeaders(req.headers, { ...headers, connection: 'upgrade', upgrade });
    return new Promise<UpgradeOutcome>((resolve) => {
      let settled = false;
      let bytesUp = 0;
      let bytesDown = 0;
      const done = (status: number | null): void => {
        if (settled) return;
        settled = true;
        open.delete(socket);
        resolve({ status, bytesUp, bytesDown });
      };
      open.add(socket);
      socket.on('error', (err) => logger.debug({ event: 'upgrade_client_error', request_id: requestId, err: err.message }, 'client connection failed'));
      // Bytes the client sent after its request head (a first frame) go upstream once the tunnel is open.
      if (head.length > 0) socket.unshift(head);

      const upstreamReq = request({ host: target.host, port: target.port, method: req.method, path, headers: upstreamHeaders, setHost: false, agent: false });
      upstreamReq.setTimeout(timeoutMs, () => upstreamReq.destroy(new UpstreamTimeoutError(timeoutMs)));
      const clientLeft = (): void => {
        if (!settled && !upstreamReq.destroyed) upstreamReq.destroy();
        done(null);
      };
      socket.once('close', clientLeft);

      upstreamReq.on('upgrade', (upstreamRes, upstreamSocket, upstreamHead) => {
        socket.off('close', clientLeft);
        upstreamReq.setTimeout(0);
        if (socket.destroyed) {
          upstreamSocket.destroy();
          return done(null);
        }
        socket.write(switchingProtocolsHead(upstreamRes, replaced, [...Object.entries(answerHeaders), ...routeLines]));
        if (upstreamHead.length > 0) socket.write(upstreamHead);
        tunnel(socket, upstreamSocket, timeoutMs, {
          up: (n) => (bytesUp += n),
          down: (n) => (bytesDown += n),
          closed: () => done(101),
        });
      });

      upstreamReq.on('response', (upstreamRes) => {
        // The backend refused the upgrade: its answer goes back as it is, and the connection ends with it.
        const res = responseOn(req, socket, answerHeaders);
        const status = upstreamRes.statusCode ?? 502;
        for (const [name, value] of filterResponseHeaders(upstreamRes.rawHeaders, { keepTrailer: false })) {
          if (!(name.toLowerCase() in replaced)) res.appendHeader(name, value);
        }
        for (const [name, value] of routeLines) res.appendHeader(name, value);
        res.writeHead(status, upstreamRes.statusMessage);
        upstreamRes.pipe(res);
        upstreamRes.on('error', () => socket.destroy());
        res.once('close', () => done(status));
      });

      upstreamReq.on('error', (err) => {
        if (settled) return;
        const failure = classifyProxyError(err, { clientGone: socket.destroyed });
        const status = FAILURE_STATUS[failure];
        logger.warn({ event: 'upgrade_failed', request_id: requestId, backend: target.name, failure, status, err: err.message }, `upgrade to ${target.name} failed`);
        if (status === null || socket.destroyed) {
          socket.destroy();
          return done(null);
        }
        socket.off('close', clientLeft);
        const res = responseOn(req, socket, answerHeaders);
        res.once('close', () => done(status));
        sendErrorPage(res, status as ErrorPageStatus, pages);
      });
      upstreamReq.end();
    });
  }

  return {
    forward,
    respond,
    open: () => open.size,
    close() {
      for (const socket of open) socket.destroy();
      open.clear();
    },
  };
}

const lowerKeys = (headers: Readonly<Record<string, unknown>>): Record<string, true> => Object.fromEntries(Object.keys(headers).map((name) => [name.toLowerCase(), true]));

/** Whether the client lets its connection stay open after an answer (HTTP/1.1 unless it says close). */
const wantsKeepAlive = (req: IncomingMessage): boolean => {
  const tokens = String(req.headers.connection ?? '').toLowerCase();
  return req.httpVersion === '1.1' ? !/\bclose\b/.test(tokens) : /\bkeep-alive\b/.test(tokens);
};

// Written by the gateway itself, as nginx writes them on a 101: its own date and 'Connection: upgrade'.
const OWN_101_HEADERS = new Set(['date', 'connection', 'keep-alive', ...IDENTIFYING_RESPONSE_HEADERS]);

/** The backend's 101 head as the client gets it (nginx's form): the date and Connection first, then the backend's other lines. */
function switchingProtocolsHead(upstreamRes: IncomingMessage, own: Record<string, true>, added: readonly (readonly [string, string])[]): string {
  const lines = [`HTTP/1.1 101 ${upstreamRes.statusMessage || 'Switching Protocols'}`, `Date: ${new Date().toUTCString()}`, 'Connection: upgrade'];
  const raw = upstreamRes.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (OWN_101_HEADERS.has(name) || name in own) continue;
    lines.push(`${raw[i]}: ${raw[i + 1]}`);
  }
  for (const [name, value] of added) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

interface TunnelEvents {
  up(bytes: number): void;
  down(bytes: number): void;
  closed(): void;
}

/**
 * Join the two sockets. When one side closes, the other gets what is still queued for it and closes too
 * (a WebSocket close frame is delivered before the connection ends); an error, or `idleMs` without a
 * byte in either direction, destroys both.
 */
function tunnel(client: Duplex, upstream: Socket, idleMs: number, events: TunnelEvents): void {
  upstream.setNoDelay(true);
  (client as Partial<Socket>).setNoDelay?.(true);
  // Activity either way goes through the upstream socket, so its idle timer covers both directions.
  upstream.setTimeout(idleMs, () => upstream.destroy());
  client.on('data', (chunk: Buffer) => events.up(chunk.length));
  upstream.on('data', (chunk: Buffer) => events.down(chunk.length));
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  let closedSides = 0;
  const closeWith = (other: Duplex) => (): void => {
    // Whichever side closes first, the other follows once what is queued for it is written: a half-open
    // tunnel would hold a descriptor until the idle timeout.
    if (!other.destroyed) endThenDestroy(other);
    if (++closedSides === 2) events.closed();
  };
  client.once('close', closeWith(upstream));
  upstream.once('close', closeWith(client));
  client.pipe(upstream);
  upstream.pipe(client);
}

function endThenDestroy(socket: Duplex): void {
  const net = socket as Partial<Socket>;
  if (typeof net.destroySoon === 'function') net.destroySoon();
  else socket.end(() => socket.destroy());
}
