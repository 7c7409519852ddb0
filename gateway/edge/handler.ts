/**
 * The edge's request handler: normalize the target as nginx does, refuse what nginx refuses, pick the
 * backend from the current route table and hand the request to the proxy. One access-log line per
 * request.
 *
 * @example
 * const handle = createEdgeHandler({ currentTable: () => table, proxy, pages, logger });
 * http.createServer(handle);
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { accessRecord, ANSWERED_BY_HEADER, answeredByValue, exchangeBytes, type AccessInput } from '../access/index.ts';
import type { Logger } from '../log/index.ts';
import { sendErrorPage, type ErrorPages, type ForwardFallback, type ForwardOptions, type ForwardOutcome, type Proxy, type UpgradeProxy } from '../proxy/index.ts';
import { doorRouteHeaders } from '../routes/lifecycle.ts';
import { isInternalPath, normalizeTarget, type NormalizedTarget } from '../routes/normalize.ts';
import { forwardTargetFor } from '../routes/patterns.ts';
import type { RouteTable } from '../routes/types.ts';
import { mintRequestId } from '../request-id/index.ts';
import { isIdempotent } from '../server/plan.ts';
import { readWholeBody } from '../proxy/body-limit.ts';
import { edgeRequestHeaders } from './headers.ts';

// Some servers read '\' as '/' (IIS, anything that tidies Windows-style paths): to them '/\_internal'
// and '/a\..\_internal' are /_internal, while nginx keeps '\' as data. Refused as the nginx config's
// internal location refuses them: '_internal' anywhere after a backslash.
const INTERNAL_AFTER_BACKSLASH = /\\.*_internal/i;

/**
 * nginx's ngx_http_validate_host: no control characters, space, DEL or '/', no '..', and something left
 * once a port and one trailing dot are taken off.
 */
function isValidHost(host: string): boolean {
  if ([...host].some((ch) => ch <= ' ' || ch === '\x7f' || ch === '/') || host.includes('..')) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return name.replace(/\.$/, '') !== '';
}

const countHostLines = (rawHeaders: readonly string[]): number => rawHeaders.filter((name, i) => i % 2 === 0 && name.toLowerCase() === 'host').length;

type Routed = Pick<AccessInput, 'route' | 'revision' | 'backend'>;

/** The largest announced body the edge reads ahead on a fallback route, so that legacy can still get it. */
export const EDGE_FALLBACK_MAX_BODY_BYTES = 1024 * 1024;

/** Why a front door fell back: TS could not be reached (refused, reset) or said nothing before the proxy timeout. */
export type DoorFallbackReason = 'ts-unreachable' | 'ts-timeout';

/** The one access-log line per request (or per upgraded connection, when it ends), in the gateway's one schema. */
function logAccess(
  logger: Logger,
  req: IncomingMessage,
  requestId: string,
  startedAt: number,
  fields: Routed & Pick<AccessInput, 'status' | 'bytesIn' | 'bytesOut'> & { outcome?: ForwardOutcome | null; extra?: Record<string, unknown> },
): void {
  const { outcome = null, extra = {}, ...rest } = fields;
  const record = accessRecord({
    requestId,
    method: req.method ?? '',
    path: req.url ?? '',
    durationMs: performance.now() - startedAt,
    upstreamFirstByteMs: outcome?.firstByteMs ?? null,
    failure: outcome?.failure ?? null,
    fallback: outcome?.fallback === 'legacy' ? 'legacy' : null,
    ...rest,
  });
  logger.info({ ...record, ...extra }, 'access');
}

export interface EdgeHandlerOptions {
  /** The live table; read once per request so a reload never changes a request half-way. */
  readonly currentTable: () => RouteTable;
  readonly proxy: Proxy;
  readonly pages: ErrorPages;
  readonly logger: Logger;
  /**
   * Add `X-Strangler-Answered-By: legacy; route="/p"; revision=…` to what the edge sends to legacy itself
   * (STRANGLER_ANSWERED_BY=1); for routes it sends to the TS server, the TS server names itself.
   */
  readonly answeredBy?: boolean;
  /** Called once per request legacy answered because the TS server could not (the evidence store counts it). */
  readonly onFallback?: (route: string, reason: DoorFallbackReason) => void;
}

export const createEdgeHandler = ({ currentTable, proxy, pages, logger, answeredBy = false, onFallback }: EdgeHandlerOptions) =>
  function edge(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = performance.now();
    const requestId = mintRequestId();
    res.setHeader('X-Request-Id', requestId);
    // Once the answer is out: a proxied request's when its forward settles, the door's own on close.
    const log = (routed: Routed, outcome: ForwardOutcome | null): void =>
      logAccess(logger, req, requestId, startedAt, { ...routed, status: outcome?.status ?? (res.headersSent ? res.statusCode : 499), ...exchangeBytes(req), outcome });
    const screened = screen(req, pages);
    if (!screened.ok) {
      res.once('close', () => log({}, null));
      screened.answer(res);
      return;
    }
    const { target } = screened;
    const table = currentTable();
    const route = table.match(target.path);
    const routed = { route: route.path, revision: table.revision, backend: route.backend };
    if (answeredBy && route.backend === 'legacy') res.setHeader(ANSWERED_BY_HEADER, answeredByValue('legacy', route.path, table.revision));
    const options = {
      path: forwardTargetFor(route, target),
      headers: edgeRequestHeaders(req, requestId),
      requestId,
      maxBodyBytes: table.settings.maxBodyBytes,
      routeHeaders: doorRouteHeaders(route),
    };
    const send = (more: Pick<ForwardOptions, 'body' | 'fallback'> = {}): void =>
      void proxy.forward(req, res, table.backends[route.backend], { ...options, ...more }).then((outcome) => log({ ...routed, backend: outcome.backend }, outcome));
    // Only a listed route goes to TS, and only one with `fallback` may go to legacy when TS cannot take it.
    if (route.backend !== 'ts' || !route.fallback) return send();
    const fallback: ForwardFallback = {
      target: table.backends.legacy,
      idempotent: isIdempotent(req.method ?? ''),
      onFallback: (failure) => {
        const reason: DoorFallbackReason = failure === 'upstream-timeout' ? 'ts-timeout' : 'ts-unreachable';
        if (answeredBy) res.setHeader(ANSWERED_BY_HEADER, answeredByValue('legacy', route.path, table.revision, { fallback: reason }));
        onFallback?.(route.path, reason);
      },
    };
    const announced = Number(req.headers['content-length'] ?? 0);
    // A body of announced length is read ahead (up to the cap) so that it can go to legacy too; a
    // chunked one the proxy reads whole anyway; a larger one goes as a stream, without fallback.
    if (req.headers['transfer-encoding'] !== undefined || !(announced > 0) || announced > Math.min(EDGE_FALLBACK_MAX_BODY_BYTES, table.settings.maxBodyBytes))
      return send({ fallback });
    readWholeBody(req, announced).then(
      (body) => send({ body, fallback }),
      // The client went away mid-body: nobody to answer, and a part of a body is never sent on.
      () => {
        res.destroy();
        log(routed, null);
      },
    );
  };

type Screened = { readonly ok: true; readonly target: Extract<NormalizedTarget, { ok: true }> } | { readonly ok: false; readonly answer: (res: ServerResponse) => void };

/** What the front door refuses before routing, for requests and upgrades alike, and how it answers. */
function screen(req: IncomingMessage, pages: ErrorPages): Screened {
  const refuse = (answer: (res: ServerResponse) => void): Screened => ({ ok: false, answer });
  const target = normalizeTarget(req.url ?? '/');
  if (!target.ok) return refuse((res) => sendErrorPage(res, 400, pages, { close: true }));
  // RFC 9112 §3.2 (and nginx): more than one Host line is a 400. Node keeps the first and drops the
  // rest, so the edge and a backend reading the raw request could disagree on the host.
  // nginx also refuses an empty or malformed Host ("client sent invalid host header").
  if (countHostLines(req.rawHeaders) > 1 || (req.headers.host !== undefined && !isValidHost(req.headers.host)))
    return refuse((res) => sendErrorPage(res, 400, pages, { close: true }));
  // nginx takes only HTTP/1.x (it answers 505 to 2.0, mapped to the 400 page in its config); Node's
  // parser lets a request line without a version (HTTP/0.9) and 'HTTP/2.0' through.
  if (req.httpVersionMajor !== 1) return refuse((res) => sendErrorPage(res, 400, pages, { close: true }));
  // nginx reads a body only as 'chunked' (the whole value, any case); any other coding is refused (its
  // 501, mapped to the 400 page). Node's parser accepts 'gzip, chunked' and would pass the claim on.
  const transferEncoding = req.headers['transfer-encoding'];
  if (transferEncoding !== undefined && transferEncoding.trim().toLowerCase() !== 'chunked') return refuse((res) => sendErrorPage(res, 400, pages, { close: true }));
  // nginx refuses TRACE itself (405), so no backend ever echoes a request, cookies and all, back to a page.
  if (req.method === 'TRACE') return refuse(answerNotAllowed);
  if (isInternalPath(target.path) || INTERNAL_AFTER_BACKSLASH.test(target.path)) return refuse((res) => sendErrorPage(res, 404, pages));
  return { ok: true, target };
}

function answerNotAllowed(res: ServerResponse): void {
  res.writeHead(405, 'Not Allowed', { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 23, 'Cache-Control': 'no-store', Connection: 'close' });
  res.end('405 Method Not Allowed\n');
}

export interface EdgeUpgradeOptions extends Omit<EdgeHandlerOptions, 'proxy'> {
  readonly upgrades: UpgradeProxy;
}

/**
 * The edge's 'upgrade' listener: the same screening, routing and header rules as a request, then the
 * connection is handed to the backend the route names, which may switch protocols (WebSocket).
 *
 * @example
 * server.on('upgrade', createEdgeUpgradeHandler({ currentTable: () => table, upgrades, pages, logger }));
 */
export const createEdgeUpgradeHandler = ({ currentTable, upgrades, pages, logger }: EdgeUpgradeOptions) =>
  function edgeUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const startedAt = performance.now();
    const requestId = mintRequestId();
    const answerHeaders = { 'X-Request-Id': requestId };
    const log = (status: number | null, routed: Routed = {}, { bytesUp = 0, bytesDown = 0 } = {}): void =>
      logAccess(logger, req, requestId, startedAt, {
        ...routed,
        status: status ?? 499,
        bytesIn: bytesUp,
        bytesOut: bytesDown,
        extra: { upgrade: req.headers.upgrade, bytes_up: bytesUp, bytes_down: bytesDown },
      });
    const screened = screen(req, pages);
    if (!screened.ok) {
      upgrades.respond(req, socket, head, (res) => {
        res.setHeader('X-Request-Id', requestId);
        res.once('close', () => log(res.statusCode));
        screened.answer(res);
      });
      return;
    }
    const { target } = screened;
    const table = currentTable();
    const route = table.match(target.path);
    const { backend } = route;
    void upgrades
      .forward(req, socket, head, table.backends[backend], {
        path: forwardTargetFor(route, target),
        headers: edgeRequestHeaders(req, requestId),
        requestId,
        answerHeaders,
        routeHeaders: doorRouteHeaders(route),
      })
      .then((outcome) => log(outcome.status, { route: route.path, revision: table.revision, backend }, outcome));
  };

/**
 * Answer a CONNECT as nginx does: the 400 page to an authority-form target (`host:port`), which its
 * parser refuses, else the plain 405 it gives TRACE. Without a listener Node drops the connection
 * without a word.
 *
 * @example
 * server.on('connect', createConnectRefusal({ upgrades, pages }));
 */
export const createConnectRefusal = ({ upgrades, pages }: Pick<EdgeUpgradeOptions, 'upgrades' | 'pages'>) =>
  function refuseConnect(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    upgrades.respond(req, socket, head, (res) => {
      res.setHeader('X-Request-Id', mintRequestId());
      if (normalizeTarget(req.url ?? '').ok) answerNotAllowed(res);
      else sendErrorPage(res, 400, pages, { close: true });
    });
  };
