/**
 * The one reverse proxy of the gateway, used by the Node edge and by the TS server: http-proxy-3 over a
 * keep-alive agent, responses streamed through untouched (several Set-Cookie, trailers, HEAD), and
 * every failure mapped to a status in one place (./errors.ts) and answered with the static error pages.
 *
 * @example
 * const proxy = createProxy({ logger: createLogger('edge', config.logLevel) });
 * http.createServer((req, res) => proxy.forward(req, res, table.backends.legacy, { requestId: id }));
 * // on shutdown:
 * await proxy.close();
 */
import { Agent, type IncomingMessage, type InformationEvent, type ServerResponse, type ClientRequest } from 'node:http';
import { Readable } from 'node:stream';
import { createProxyServer, type ServerOptions } from 'http-proxy-3';
import type { Logger } from '../log/index.ts';
import type { AnswerHeaders, Backend, BackendName } from '../routes/types.ts';
import { readWholeBody } from './body-limit.ts';
import { loadErrorPages, sendErrorPage } from './error-pages.ts';
import { BodyTooLargeError, classifyProxyError, CLIENT_GONE_STATUS, FAILURE_STATUS, UpstreamAbortedError, UpstreamTimeoutError, type ProxyFailure } from './errors.ts';
import { buildRequestHeaders, filterResponseHeaders } from './headers.ts';
import { withResponseHeadLimit } from './header-limits.ts';

export { FAILURE_STATUS, PROXY_FAILURES, CLIENT_GONE_STATUS, classifyProxyError, type ProxyFailure } from './errors.ts';
export { BEHIND_DOOR_REQUEST_HEAD_BYTES, MAX_REQUEST_HEAD_BYTES, MAX_RESPONSE_HEAD_BYTES } from './header-limits.ts';
export {
  loadErrorPages,
  sendErrorPage,
  errorPageResponse,
  isErrorPageStatus,
  DEFAULT_ERROR_PAGES_DIR,
  ERROR_PAGE_STATUSES,
  type ErrorPages,
  type ErrorPageStatus,
} from './error-pages.ts';
export { createUpgradeProxy, type UpgradeProxy, type UpgradeProxyOptions, type UpgradeForwardOptions, type UpgradeOutcome } from './upgrade.ts';

export const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_SOCKETS_PER_BACKEND = 256;
const MAX_FREE_SOCKETS_PER_BACKEND = 64;
// Below Node's default server keepAliveTimeout (5 s) and any sane backend's, so the proxy closes an
// idle connection before the backend does and never sends a request into a socket being closed.
const IDLE_SOCKET_TIMEOUT_MS = 4_000;

export interface ProxyOptions {
  readonly logger: Logger;
  /** Longest the upstream may stay silent (before and during the response), like nginx's proxy_read_timeout. */
  readonly timeoutMs?: number;
  /** Where `<status>.html` error pages live (STRANGLER_PAGES_DIR); default the gateway's neutral pages. */
  readonly errorPagesDir?: string;
}

export interface ForwardOptions {
  /** Request-target to send upstream (path and query); default `req.url`. Sent byte for byte. */
  readonly path?: string;
  /** Request headers to set upstream; `undefined` removes one. */
  readonly headers?: Record<string, string | undefined>;
  /** For log lines; also sent upstream as X-Request-Id unless `headers` says otherwise. */
  readonly requestId?: string;
  /** Refuse bodies larger than this with 413 (announced or counted while streaming). */
  readonly maxBodyBytes?: number;
  /**
   * Added to the upstream's answer, not to the gateway's own error pages: a route's Deprecation, Sunset
   * and Link (a single value replaces the upstream's header, a list follows its values).
   */
  readonly routeHeaders?: AnswerHeaders;
  /**
   * Called with the upstream's answer as it arrives, before its body streams to the client: a listener
   * may read beside the pipe (a shadow copy's tee) but must not pause or consume it.
   */
  readonly onResponse?: (proxyRes: IncomingMessage) => void;
  /**
   * The request's body, already read (the TS server buffers it before a handler that may fall back
   * runs): sent with its length instead of reading `req`, which has nothing left to give.
   */
  readonly body?: Buffer;
  /**
   * Where the request goes when `target` cannot take it before its response head (a front door's
   * fallback, docs/traffic-modes.md): an idempotent request whose body (if any) was read whole
   * (`body`), on a refused, reset or silent connection; any request when the connection was refused,
   * since then nothing was sent. Anything else gets the error page, never a second send.
   */
  readonly fallback?: ForwardFallback;
  /** Called with the request to the upstream once it is made (a shadow copy starts once it is sent). */
  readonly onUpstreamRequest?: (proxyReq: ClientRequest) => void;
}

export interface ForwardFallback {
  readonly target: Backend;
  /** Whether the method may be sent twice (RFC 9110 idempotent): the plan's `fallback` says so. */
  readonly idempotent: boolean;
  /** Called just before the request goes to `target` instead; e.g. to mark the answer and count it. */
  onFallback(failure: ProxyFailure): void;
}

/**
 * What happened to one forwarded request, as YARP records IForwarderErrorFeature on the request: the
 * access log, the metrics and (later) comparison and demotion read this instead of the proxy's own log.
 */
export interface ForwardOutcome {
  /** The backend the request was sent to. */
  readonly backend: BackendName;
  /** The status the client got; 499 (as nginx logs it) when the client went away before any answer. */
  readonly status: number;
  /** What went wrong, from the one taxonomy (./errors.ts); null when the upstream's answer went out whole. */
  readonly failure: ProxyFailure | null;
  /** Milliseconds from forward() to the upstream's response head; null when none came. */
  readonly firstByteMs: number | null;
  /** Milliseconds from forward() to the end of the exchange. */
  readonly totalMs: number;
  /** Request body bytes read from the client (and sent upstream unless the request was refused). */
  readonly requestBodyBytes: number;
  /** Response body bytes written to the client, the error page's included. */
  readonly responseBodyBytes: number;
  /** Whether the request went a second time on a fresh connection (a stale keep-alive one failed). */
  readonly retried: boolean;
  /** Set when the request went to `options.fallback.target` instead (then `backend` is that one's name). */
  readonly fallback: BackendName | null;
}

export interface Proxy {
  /** Send `req` to `target` and stream the answer into `res`; resolves with the outcome once the response is sent or the failure handled. Never rejects. */
  forward(req: IncomingMessage, res: ServerResponse, target: Backend, options?: ForwardOptions): Promise<ForwardOutcome>;
  /** Close the idle upstream connections. */
  close(): Promise<void>;
  /** The keep-alive agent forwards go through, for a request the gateway makes itself (legacy asked again). */
  readonly agent: Agent;
}

interface Exchange {
  proxyReq: ClientRequest | null;
  readonly onUpstreamRequest: ((proxyReq: ClientRequest) => void) | undefined;
  /** The upstream's answer once its head arrived. */
  proxyRes: IncomingMessage | null;
  respond(proxyRes: IncomingMessage): void;
  /** An interim (1xx) answer from the upstream, before the final one. */
  interim(info: InformationEvent): void;
  fail(err: unknown): void;
}

export function createProxy({ logger, timeoutMs = DEFAULT_TIMEOUT_MS, errorPagesDir }: ProxyOptions): Proxy {
  const pages = loadErrorPages(errorPagesDir);
  const agent = withResponseHeadLimit(
    new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_BACKEND, maxFreeSockets: MAX_FREE_SOCKETS_PER_BACKEND, timeout: IDLE_SOCKET_TIMEOUT_MS, scheduling: 'lifo' }),
  );
  // toProxy: send the request-target as given; otherwise http-proxy-3 re-parses it with WHATWG URL,
  // which resolves dot segments and rewrites backslashes behind the route matcher's back.
  const server = createProxyServer({ agent, toProxy: true, selfHandleResponse: true, xfwd: false });
  dropLengthRewrite(server);
  const exchanges = new WeakMap<IncomingMessage, Exchange>();

  server.on('proxyReq', (proxyReq, req) => {
    const exchange = exchanges.get(req);
    if (!exchange) return;
    exchange.proxyReq = proxyReq;
    exchange.onUpstreamRequest?.(proxyReq);
    proxyReq.on('information', (info) => exchange.interim(info));
    proxyReq.setTimeout(timeoutMs, () => proxyReq.destroy(new UpstreamTimeoutError(timeoutMs)));
  });
  server.on('proxyRes', (proxyRes, req) => exchanges.get(req)?.respond(proxyRes));
  server.on('econnreset', (err, req) => exchanges.get(req)?.fail(err));
  // Only reached for errors outside a forward() call; logged so they can never crash the process.
  server.on('error', (err, req) => {
    const exchange = exchanges.get(req);
    if (exchange) exchange.fail(err);
    else logger.error({ event: 'proxy_error', err }, 'proxy error outside a request');
  });

  function forward(req: IncomingMessage, res: ServerResponse, target: Backend, options: ForwardOptions = {}): Promise<ForwardOutcome> {
    const { path = req.url ?? '/', headers = {}, requestId, maxBodyBytes, routeHeaders, onResponse, onUpstreamRequest, body, fallback } = options;
    const startedAt = performance.now();
    let backend = target;
    // The body as read whole (given, or a chunked one read here): what a fallback sends again.
    let heldBody = body;
    return new Promise<ForwardOutcome>((resolve) => {
      let failed = false;
      let retried = false;
      let failure: ProxyFailure | null = null;
      let firstByteAt: number | null = null;
      let requestBodyBytes = 0;
      let responseBodyBytes = 0;
      let settled = false;
      const finish = (): void => {
        if (settled) return;
        settled = true;
        exchanges.delete(req);
        // A client that left before the answer was complete is the outcome, whatever else was noted.
        if (failure === null && !res.writableFinished) failure = 'client-gone';
        const elapsed = (at: number): number => Math.round((at - startedAt) * 1000) / 1000;
        resolve({
          backend: backend.name,
          status: failure === 'client-gone' && !res.headersSent ? CLIENT_GONE_STATUS : res.statusCode,
          failure,
          firstByteMs: firstByteAt === null ? null : elapsed(firstByteAt),
          totalMs: elapsed(performance.now()),
          requestBodyBytes,
          responseBodyBytes,
          retried,
          fallback: backend === target ? null : backend.name,
        });
      };
      res.once('close', finish);
      res.once('finish', finish);
      res.on('error', (err) => logger.debug({ event: 'client_write_failed', request_id: requestId, err: err.message }, 'client connection failed while answering'));

      const exchange: Exchange = {
        proxyReq: null,
        onUpstreamRequest,
        proxyRes: null,
        respond: (proxyRes) => {
          if (failed || res.destroyed) {
            proxyRes.destroy();
            return;
          }
          exchange.proxyRes = proxyRes;
          firstByteAt = performance.now();
          proxyRes.on('data', (chunk: Buffer) => (responseBodyBytes += chunk.length));
          onResponse?.(proxyRes);
          streamResponse(req, res, proxyRes, (err) => exchange.fail(err), routeHeaders);
        },
        interim: (info) => {
          if (failed || res.destroyed || res.headersSent) return;
          forwardInterim(req, res, info);
        },
        fail: (err) => {
          if (failed || res.writableFinished) return;
          if (exchange.proxyRes?.complete === true) {
            // The answer arrived whole; what broke is the connection after it (an app that writes stray
            // bytes after a `Connection: close` answer). The answer still goes out whole, as from nginx;
            // the connection is never reused.
            logger.debug(
              { event: 'upstream_stray_bytes', request_id: requestId, backend: target.name, err: errorMessage(err) },
              'ignored what the upstream sent after a complete answer',
            );
            return;
          }
          const kind = classifyProxyError(err, { clientGone: res.destroyed || req.socket.destroyed });
          if (kind === 'upstream-unreachable' && !retried && isRetryable(req, res, exchange.proxyReq)) {
            // The upstream closed an idle keep-alive connection just as this request went out on it:
            // nothing reached the application, so a bodiless safe request goes once more on a new one.
            retried = true;
            logger.debug({ event: 'proxy_retry', request_id: requestId, backend: target.name, err: errorMessage(err) }, 'retrying on a fresh connection');
            exchange.proxyReq = null;
            dispatch();
            return;
          }
          if (fallback && backend === target && !res.headersSent && exchange.proxyRes === null && mayFallBack(kind, err, fallback, heldBody !== undefined || !hasBody(req))) {
            logger.warn(
              { event: 'fallback', request_id: requestId, from: target.name, to: fallback.target.name, failure: kind, err: errorMessage(err) },
              `${target.name} could not answer; ${fallback.target.name} answers`,
            );
            backend = fallback.target;
            requestOptions.target = backend.url;
            exchange.proxyReq?.destroy();
            exchange.proxyReq = null;
            if (heldBody !== undefined) requestOptions.buffer = Readable.from(heldBody.length > 0 ? [heldBody] : []);
            fallback.onFallback(kind);
            dispatch();
            return;
          }
          failed = true;
          failure = kind;
          exchange.proxyReq?.destroy();
          const status = FAILURE_STATUS[kind];
          const fields = { event: 'proxy_failed', request_id: requestId, failure: kind, backend: backend.name, status, err: errorMessage(err) };
          if (status === null) {
            logger.debug(fields, 'client went away before the response was complete');
            res.destroy();
          } else if (res.headersSent) {
            // The status line is gone; all that is left is to tell the client the body is incomplete.
            logger.warn({ ...fields, status: res.statusCode }, 'upstream failed mid-response; connection closed');
            res.destroy();
          } else {
            (status === 413 ? logger.info : logger.warn).call(logger, fields, `answered ${status} for ${kind}`);
            // 413: the rest of an oversized body is not read, so the connection cannot be reused.
            sendErrorPage(res, status, pages, { close: status === 413 });
            if (req.method !== 'HEAD') responseBodyBytes += pages[status].length;
          }
        },
      };
      exchanges.set(req, exchange);

      const announced = Number(req.headers['content-length'] ?? 0);
      if (maxBodyBytes !== undefined && announced > maxBodyBytes) {
        exchange.fail(new BodyTooLargeError(maxBodyBytes));
        return;
      }
      const requestOptions: ServerOptions = { target: target.url };
      let upstreamHeaders = buildRequestHeaders(req.headers, requestId === undefined ? headers : { 'x-request-id': requestId, ...headers });
      if (body !== undefined) {
        // Read already: sent with its length, whatever framing the client used.
        const { 'transfer-encoding': _chunked, ...rest } = upstreamHeaders;
        upstreamHeaders = { ...rest, 'content-length': String(body.length) };
        requestBodyBytes = body.length;
        requestOptions.buffer = Readable.from(body.length > 0 ? [body] : []);
        dispatch();
        return;
      }
      function dispatch(): void {
        // http-proxy-3 reads the target and headers from req synchronously inside web(); they are put
        // back at once so the caller's view of the request does not change.
        const original = { url: req.url, headers: req.headers };
        req.url = path;
        req.headers = upstreamHeaders;
        try {
          server.web(req, res, requestOptions, (err) => exchange.fail(err));
        } catch (err) {
          exchange.fail(err);
        } finally {
          req.url = original.url;
          req.headers = original.headers;
        }
      }
      if (req.headers['transfer-encoding'] === undefined) {
        // Counted beside http-proxy-3's pipe (a second 'data' listener reads the same chunks).
        req.on('data', (chunk: Buffer) => (requestBodyBytes += chunk.length));
        dispatch();
        return;
      }
      // A body of unannounced length is read whole (up to the limit) and sent with its length, as nginx
      // does with proxy_request_buffering on: many WSGI servers cannot read a chunked body.
      readWholeBody(req, maxBodyBytes).then(
        (body) => {
          const { 'transfer-encoding': _chunked, ...rest } = upstreamHeaders;
          upstreamHeaders = { ...rest, 'content-length': String(body.length) };
          requestBodyBytes = body.length;
          heldBody = body;
          requestOptions.buffer = Readable.from(body.length > 0 ? [body] : []);
          dispatch();
        },
        (err: unknown) => exchange.fail(err),
      );
    });
  }

  return {
    forward,
    agent,
    async close() {
      agent.destroy();
    },
  };
}

/** Write status and headers of the upstream response, then stream its body and trailers through. */
function streamResponse(req: IncomingMessage, res: ServerResponse, proxyRes: IncomingMessage, fail: (err: unknown) => void, added: AnswerHeaders = {}): void {
  const status = proxyRes.statusCode ?? 502;
  const hasBody = req.method !== 'HEAD' && status !== 204 && status !== 304 && status >= 200;
  // Trailers can only follow a chunked body; Node refuses a Trailer header on anything else.
  const chunked = hasBody && proxyRes.headers['content-length'] === undefined && req.httpVersion === '1.1';
  proxyRes.on('aborted', () => fail(new UpstreamAbortedError()));
  proxyRes.on('error', (err) => fail(err));
  // Headers the caller set before forwarding (the edge's X-Request-Id) win over the upstream's.
  const callerHeaders = new Set(res.getHeaderNames());
  try {
    // The route's headers: a single value replaces the upstream's, a list follows the upstream's own values.
    for (const [name, value] of Object.entries(added)) if (typeof value === 'string') callerHeaders.add(name.toLowerCase());
    for (const [name, value] of filterResponseHeaders(proxyRes.rawHeaders, { keepTrailer: chunked })) {
      if (!callerHeaders.has(name.toLowerCase())) res.appendHeader(name, value);
    }
    for (const [name, value] of Object.entries(added)) for (const item of typeof value === 'string' ? [value] : value) res.appendHeader(name, item);
    res.writeHead(status, proxyRes.statusMessage);
  } catch (err) {
    proxyRes.destroy();
    fail(err);
    return;
  }
  proxyRes.on('end', () => {
    if (chunked && proxyRes.rawTrailers.length > 0) res.addTrailers(pairs(proxyRes.rawTrailers));
    res.end();
  });
  proxyRes.pipe(res, { end: false });
}

/**
 * Pass an interim answer on where Node can write it: 103 Early Hints (with its Link headers) and 102
 * Processing, to an HTTP/1.1 client only (RFC 9110 §15.2: no 1xx to an HTTP/1.0 client). Others are
 * dropped: 100 Continue is Node's own business with the client, and Node cannot write any other 1xx.
 */
function forwardInterim(req: IncomingMessage, res: ServerResponse, info: InformationEvent): void {
  if (req.httpVersion !== '1.1') return;
  if (info.statusCode === 102) return void res.writeProcessing();
  if (info.statusCode !== 103) return;
  const hints: Record<string, string[]> = {};
  for (const [name, value] of filterResponseHeaders(info.rawHeaders, { keepTrailer: false })) (hints[name.toLowerCase()] ??= []).push(value);
  // Node writes a 103 only when it carries a Link header.
  if (hints.link !== undefined) res.writeEarlyHints(hints);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const hasBody = (req: IncomingMessage): boolean => req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/**
 * Whether a failure before the response head may send the request to the fallback: a refused
 * connection carried nothing, so any request may go (its body, if any, must still be whole in hand);
 * a reset or a silence may have reached the application, so only an idempotent request goes again.
 */
function mayFallBack(kind: ProxyFailure, err: unknown, fallback: ForwardFallback, bodyInHand: boolean): boolean {
  if (!bodyInHand) return false;
  const refused = (err as { code?: unknown } | null)?.code === 'ECONNREFUSED';
  if (refused) return true;
  return fallback.idempotent && (kind === 'upstream-unreachable' || kind === 'upstream-timeout' || kind === 'upstream-broken');
}

/** Only a safe request without a body, on a reused connection, before any answer, may be sent twice. */
function isRetryable(req: IncomingMessage, res: ServerResponse, proxyReq: ClientRequest | null): boolean {
  return proxyReq?.reusedSocket === true && SAFE_METHODS.has(req.method ?? '') && !hasBody(req) && !res.headersSent;
}

const pairs = (flat: readonly string[]): [string, string][] => {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
};

const errorMessage = (err: unknown): string => (err instanceof Error ? `${err.message}${'code' in err ? ` (${String(err.code)})` : ''}` : String(err));

/**
 * http-proxy-3's `deleteLength` pass sets `Content-Length: 0` on DELETE and OPTIONS without one and
 * drops Transfer-Encoding, so a chunked DELETE body would reach the upstream unframed: a smuggled
 * request on a shared keep-alive connection. Framing stays as the client sent it.
 */
function dropLengthRewrite(server: object): void {
  // webPasses is private in the typings; this is the only supported way to change the pass list.
  const internals = server as { webPasses?: { name: string }[] };
  if (Array.isArray(internals.webPasses)) internals.webPasses = internals.webPasses.filter((pass) => pass.name !== 'deleteLength');
}
