/**
 * The TS server's Hono app: per request, pick the route from the live table, hand the request to the
 * service the route names when its method has moved, and forward everything else to legacy through the
 * proxy. It knows services only by name; what they answer is their business.
 */
import { Hono, type Context } from 'hono';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { REQUEST_BUDGET_MS, withRequestDeadline } from '../internal/caller.ts';
import type { Logger } from '../log/index.ts';
import { withRouteHeaders } from '../routes/lifecycle.ts';
import { isInternalPath, normalizeTarget } from '../routes/normalize.ts';
import { forwardTargetFor } from '../routes/patterns.ts';
import { CLIENT_GONE_STATUS, createUpgradeProxy, loadErrorPages, type ErrorPages, type Proxy, type UpgradeProxy } from '../proxy/index.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RouteTable } from '../routes/types.ts';
import { accessRecord, ANSWERED_BY_HEADER, answeredByValue, type AccessRecord } from '../access/index.ts';
import { nodeResponseSink } from '../live/sink.ts';
import { accessLog } from './access-log.ts';
import { createCacheAnswerer, type CacheAnswerer } from './cache-front.ts';
import { ConventionalHeaderCase } from './header-case.ts';
import { planRequest } from './dispatch.ts';
import { planFor, type Plan } from './plan.ts';
import { canaryKey } from './canary-key.ts';
import { createFallback, FallenBackError, type FallbackReason } from './fallback.ts';
import type { ServerEnv } from './env.ts';
import { requestIdFrom } from '../request-id/index.ts';
import { assertHandlersMounted, type Service, type ServiceEnv } from './service.ts';
import type { ShadowRunner } from '../shadow/index.ts';

/** The part of gateway/proxy the server uses. */
export type LegacyProxy = Pick<Proxy, 'forward'>;

/** Renders the app's own error answer (JSON for an API, an HTML page otherwise) for a path. */
export type ErrorRenderer = (status: 400 | 404 | 500, message: string, path: string) => Response;

export interface TsServerOptions {
  readonly table: RouteTable;
  readonly services: readonly Service[];
  readonly proxy: LegacyProxy;
  readonly logger: Logger;
  /** The app's answer for a path under a TS route that its service does not know. Default: plain 404. */
  readonly notFound?: (c: Context<ServiceEnv>) => Response | Promise<Response>;
  /** The app's answer for a malformed request target (400) or an unexpected error (500). Default: plain text. */
  readonly errorResponse?: ErrorRenderer;
  /** Where upgrade requests (WebSocket) go; default: one made here with the table's timeout. */
  readonly upgrades?: UpgradeProxy;
  /** The gateway's pages, for an upgrade refused because legacy is down; default: the neutral ones. */
  readonly pages?: ErrorPages;
  /** The listener's response class, so an upgrade's refusal looks like any other answer; default ConventionalHeaderCase. */
  readonly ServerResponse?: typeof ServerResponse;
  /**
   * Add `X-Strangler-Answered-By: ts; route="/p"; revision=7-1f3a9c0b` (a service answered; `legacy; ...`
   * when passed on) to every routed answer, for parity suites and for checking a flip with curl. Off by
   * default: it tells anyone which side answered.
   */
  readonly answeredBy?: boolean;
  /** Called with every public request's access record once it is logged (the metrics count it). */
  readonly onAccess?: (record: AccessRecord) => void;
  /** Runs the shadow copies the plan asks for (gateway/shadow); without it none is made. */
  readonly shadows?: ShadowRunner;
  /**
   * The app's session cookie, whose value keeps a user on one side of a canary route (./canary-key.ts);
   * null: the client's address does. Default null.
   */
  readonly canaryCookie?: string | null;
  /**
   * How long a handler may take to its response head, on a request that may fall back, before legacy
   * answers instead (./fallback.ts). Default: half the table's proxy timeout, at most 30 s, so that
   * legacy still has time to answer before the front door gives up.
   */
  readonly fallbackTimeoutMs?: number;
  /** Called once per request legacy answered because the handler failed before its first byte. */
  readonly onFallback?: (route: string, reason: FallbackReason) => void;
}

export { ANSWERED_BY_HEADER };

export interface TsServer {
  readonly app: Hono<ServerEnv>;
  /** The live table. */
  table(): RouteTable;
  /** Make `next` the live table, whole; throws (and keeps the current one) if it names an unmounted handler. */
  swapTable(next: RouteTable): void;
  /**
   * The public listener's 'upgrade' listener. An upgrade request (a WebSocket handshake) whose route
   * hands GET to a service with an upgrade handler goes to that service; every other one goes to legacy
   * with the same target rules as a request.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * End every open tunnel and tell every service to end its long-lived connections (at shutdown: they
   * would keep the listener from closing).
   */
  closeUpgrades(): void;
  /**
   * For the Node listener, before Hono: writes a guest's stored answer when a service has one for this
   * GET or HEAD (true), else writes nothing (false) and the request goes to `app.fetch` (cache-front.ts).
   */
  readonly answerFromCache: CacheAnswerer;
}

const plainError: ErrorRenderer = (status, message) => new Response(`${status} ${message}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

/**
 * Build the TS server. Refuses a table that names a handler no service answers.
 *
 * @example
 * const server = createTsServer({ table, services: [boards, threads], proxy: createProxy({ logger }), logger });
 * serve({ fetch: server.app.fetch, port: 8081 });
 */
export function createTsServer(options: TsServerOptions): TsServer {
  const { services, proxy, logger, errorResponse = plainError, answeredBy = false, onAccess, canaryCookie = null, shadows } = options;
  const fallback = createFallback({
    logger,
    timeoutMs: options.fallbackTimeoutMs ?? Math.min(REQUEST_BUDGET_MS, options.table.settings.proxyTimeoutMs / 2),
    ...(options.onFallback ? { onFallback: options.onFallback } : {}),
  });
  // Who the user is, asked only on a canary route: the same answer in every worker and after restarts.
  const keyOf = (req: IncomingMessage) => () => canaryKey(req.headers, req.socket.remoteAddress, canaryCookie);
  const all = services.map((service) => service.name);
  const duplicate = all.find((name, i) => all.indexOf(name) !== i);
  if (duplicate !== undefined) throw new TypeError(`two services are named "${duplicate}"; give each service its own name`);
  // Only services with public routes can answer what the table hands them.
  const names = services.filter((service) => service.app).map((service) => service.name);
  assertHandlersMounted(options.table, names);
  let live = options.table;

  const onError = (err: Error, c: Context<ServerEnv>): Response => {
    logger.error({ event: 'error', request_id: c.get('requestId'), err }, 'unhandled error');
    const { outgoing } = c.env;
    // Part of an answer is already on the wire: a 500 cannot follow it, only a cut connection.
    if (outgoing.headersSent) {
      outgoing.destroy();
      return RESPONSE_ALREADY_SENT;
    }
    return errorResponse(500, 'internal server error', new URL(c.req.url).pathname);
  };

  const upgradeHandlers = new Map(services.flatMap((service) => (service.app && service.upgrade ? [[service.name, service.upgrade] as const] : [])));
  const mounted = new Map<string, Hono<ServiceEnv>>();
  for (const service of services) if (service.app) mounted.set(service.name, mountService(service.app, options.notFound));

  const app = new Hono<ServerEnv>();
  app.use(async function requestId(c, next) {
    c.set('requestId', requestIdFrom(c.req.header('x-request-id')));
    await next();
  });
  app.use(accessLog({ logger, ...(onAccess ? { onRecord: onAccess } : {}) }));
  app.all('*', async function dispatch(c) {
    const { incoming, outgoing } = c.env;
    const requestId = c.get('requestId');
    const table = live;
    const target = normalizeTarget(incoming.url ?? '/');
    // The raw path still tells an API request from a page request, which decides the error's shape.
    if (!target.ok) return errorResponse(target.status, target.reason, (incoming.url ?? '/').split('?')[0]!);
    // The front doors already refuse these; the public listener does too, should it ever be reached directly.
    if (isInternalPath(target.path)) return errorResponse(404, 'not found', target.path);
    const method = incoming.method ?? c.req.method;
    const plan = planRequest(table, target.path, method, keyOf(incoming));
    const { route } = plan;
    c.set('plan', plan);
    // Every handler named by a live table is mounted (checked at start and on every swap).
    const service = plan.handler === null ? undefined : mounted.get(plan.handler);
    const mark = { canary: plan.canary !== null };
    const answeredByHeader = answeredBy ? answeredByValue(service ? 'ts' : 'legacy', route.path, plan.revision, mark) : null;
    // The route's Deprecation, Sunset and Link go on every answer given here, the service's or legacy's.
    const announced = route.lifecycle?.headers;
    if (service) {
      c.set('backend', 'ts');
      // A request that may fall back keeps its body in hand: the handler reads its own copy.
      const body = plan.fallback === null ? undefined : await fallback.bodyFor(incoming);
      let fellBack = false;
      // Calls the service makes to legacy share this request's deadline instead of a fixed timeout each.
      const run = async (): Promise<Response> =>
        await withRequestDeadline(Date.now() + REQUEST_BUDGET_MS, () =>
          service.fetch(requestFor(c.req.raw, forwardTargetFor(route, target), body), {
            requestId,
            clientMethod: method,
            openStream: (status, headers) => {
              if (fellBack) throw new FallenBackError();
              outgoing.writeHead(status, { ...headers, ...announced, ...(answeredByHeader === null ? {} : { [ANSWERED_BY_HEADER]: answeredByHeader }) });
              outgoing.flushHeaders();
              return nodeResponseSink(outgoing);
            },
          }),
        );
      let res: Response;
      if (body === undefined) res = await run();
      else {
        const attempt = await fallback.attempt(run, () => outgoing.headersSent);
        if (!attempt.ok) {
          fellBack = true;
          fallback.record(route.path, requestId, attempt.reason, attempt.err);
          return forwardToLegacy(c, table, plan, target, body, answeredBy ? answeredByValue('legacy', route.path, plan.revision, { ...mark, fallback: attempt.reason }) : null);
        }
        res = attempt.response;
      }
      // The service wrote its answer itself (a stream): nothing more to send.
      if (outgoing.headersSent) return RESPONSE_ALREADY_SENT;
      return withRouteHeaders(answeredByHeader === null ? res : withHeader(res, ANSWERED_BY_HEADER, answeredByHeader), announced);
    }
    return forwardToLegacy(c, table, plan, target, undefined, answeredByHeader);
  });

  /**
   * Hand the request to legacy as the table it was planned on says: the plan's answer, or a fallback
   * (`body` then holds what was read ahead).
   */
  const forwardToLegacy = async (
    c: Context<ServerEnv>,
    table: RouteTable,
    plan: Plan,
    target: Parameters<typeof forwardTargetFor>[1],
    body: Buffer | undefined,
    answeredByHeader: string | null,
  ) => {
    const { incoming, outgoing } = c.env;
    c.set('backend', 'legacy');
    if (body !== undefined) c.set('fallback', 'legacy');
    if (answeredByHeader !== null) outgoing.setHeader(ANSWERED_BY_HEADER, answeredByHeader);
    const path = forwardTargetFor(plan.route, target);
    const requestId = c.get('requestId');
    // Legacy answers; the handler on trial may get a copy, compared once legacy's answer is out. Not on
    // a fallback: the handler has just failed this very request.
    const shadowHandler = body !== undefined || plan.shadow?.handler == null ? undefined : mounted.get(plan.shadow.handler);
    const copy =
      body !== undefined
        ? null
        : (shadows?.begin({ plan, method: incoming.method ?? c.req.method, target: path, incoming, requestId, handler: shadowHandler, legacyUrl: table.backends.legacy.url }) ??
          null);
    const outcome = await proxy.forward(incoming, outgoing, table.backends.legacy, {
      path,
      requestId,
      maxBodyBytes: table.settings.maxBodyBytes,
      routeHeaders: plan.route.lifecycle?.headers,
      ...(body === undefined || body.length === 0 ? {} : { body }),
      ...(copy ? { onResponse: copy.onResponse, onUpstreamRequest: copy.onUpstreamRequest } : {}),
    });
    copy?.done(outcome);
    c.set('outcome', outcome);
    return RESPONSE_ALREADY_SENT;
  };
  app.onError(onError);
  // Hono answers HEAD by running GET and copying the answer into a new Response. The copy sorts the
  // header names (a HEAD answer's order would differ from its GET's) and drops the mark of
  // RESPONSE_ALREADY_SENT, so after a proxied HEAD node-server wrote a second head (ERR_HTTP_HEADERS_SENT,
  // with a stack trace). Node's ServerResponse already sends no body to HEAD, so on a Node listener a
  // HEAD runs as GET: same headers, same order; the proxy still sends HEAD upstream from the raw request.
  const honoFetch = app.fetch;
  app.fetch = (request, env, executionCtx) =>
    honoFetch(request.method === 'HEAD' && env !== undefined && 'outgoing' in env ? new Request(request, { method: 'GET' }) : request, env, executionCtx);

  const upgrades =
    options.upgrades ??
    createUpgradeProxy({
      logger,
      timeoutMs: live.settings.proxyTimeoutMs,
      pages: options.pages ?? loadErrorPages(),
      ServerResponse: options.ServerResponse ?? ConventionalHeaderCase,
    });
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const startedAt = performance.now();
    const requestId = requestIdFrom(req.headers['x-request-id'] as string | undefined);
    const target = normalizeTarget(req.url ?? '/');
    // An upgrade has no Hono context: its access line is written here, in the same schema, once it ends.
    type Routed = { route: string; revision: string; backend: 'ts' | 'legacy' };
    const log = (status: number | null, bytes: { bytesUp: number; bytesDown: number } = { bytesUp: 0, bytesDown: 0 }, routed: Routed | null = null): void => {
      const record = accessRecord({
        requestId,
        method: req.method ?? '',
        path: req.url ?? '',
        ...routed,
        status: status ?? CLIENT_GONE_STATUS,
        durationMs: performance.now() - startedAt,
        bytesIn: bytes.bytesUp,
        bytesOut: bytes.bytesDown,
      });
      logger.info({ ...record, listener: 'public', upgrade: req.headers.upgrade }, 'access');
      onAccess?.(record);
    };
    const refuse = (response: Response): void =>
      upgrades.respond(req, socket, head, (res) => {
        res.once('close', () => log(res.statusCode));
        void writeFetchResponse(res, response);
      });
    if (!target.ok) return refuse(errorResponse(target.status, target.reason, (req.url ?? '/').split('?')[0]!));
    if (isInternalPath(target.path)) return refuse(errorResponse(404, 'not found', target.path));
    const table = live;
    const route = table.match(target.path);
    const routed: Routed = { route: route.path, revision: table.revision, backend: 'legacy' };
    // An upgrade is a GET: a route that moved GET to a service with an upgrade handler takes it.
    const plan = planFor(table, route, { method: 'GET', key: keyOf(req) });
    const handler = plan.handler === null || req.method !== 'GET' ? undefined : upgradeHandlers.get(plan.handler);
    if (handler) {
      log(101, undefined, { ...routed, backend: 'ts' });
      return handler(req, socket, head, { requestId, clientMethod: req.method });
    }
    void upgrades
      .forward(req, socket, head, table.backends.legacy, {
        path: forwardTargetFor(route, target),
        headers: { 'x-request-id': requestId },
        requestId,
        routeHeaders: route.lifecycle?.headers,
      })
      .then((outcome) => log(outcome.status, outcome, routed));
  };

  return {
    app,
    upgrade,
    answerFromCache: createCacheAnswerer({ services, table: () => live, logger, answeredBy, canaryCookie, ...(onAccess ? { onAccess } : {}) }),
    closeUpgrades() {
      upgrades.close();
      for (const service of services) service.shutdown?.();
    },
    table: () => live,
    swapTable(next) {
      assertHandlersMounted(next, names);
      live = next;
    },
  };
}

/** A Fetch Response written to a Node response (a refused upgrade has no Hono adapter behind it). */
async function writeFetchResponse(res: ServerResponse, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  response.headers.forEach((value, name) => res.setHeader(name, value));
  res.setHeader('content-length', body.length);
  res.writeHead(response.status);
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/**
 * The request as the service should see it: the normalized path, everything else unchanged; with the
 * body read ahead (a request that may fall back), that body instead of the socket's.
 */
function requestFor(raw: Request, pathAndQuery: string, body?: Buffer): Request {
  const url = new URL(raw.url);
  if (body !== undefined && body.length > 0)
    return new Request(new URL(pathAndQuery, url.origin), { method: raw.method, headers: raw.headers, body: new Uint8Array(body), signal: raw.signal });
  if (url.pathname + url.search === pathAndQuery) return raw;
  return new Request(new URL(pathAndQuery, url.origin), raw);
}

/** The response with one more header; a copy, since a Response's headers may be immutable. */
function withHeader(res: Response, name: string, value: string): Response {
  const copy = new Response(res.body, res);
  copy.headers.set(name, value);
  return copy;
}

/**
 * A service's public app as the server calls it: a HEAD reaches it as GET (see app.fetch in
 * createTsServer), so that its answer keeps the GET's header order; its handlers still see the client's
 * method, so that a HEAD records nothing and a 405 names it. Errors go up to the caller (the outer app,
 * which knows the request id and the socket; a shadow copy, which counts them failed).
 *
 * @example
 * const handler = mountService(service.app, serviceSet.notFound);
 * await handler.fetch(request, { requestId, clientMethod: 'GET' });
 */
export function mountService(serviceApp: Hono<ServiceEnv>, notFound?: (c: Context<ServiceEnv>) => Response | Promise<Response>): Hono<ServiceEnv> {
  const wrapper = new Hono<ServiceEnv>()
    .use(async function clientMethod(c, next) {
      if (c.env.clientMethod === 'HEAD') Object.defineProperty(c.req, 'method', { value: 'HEAD' });
      await next();
    })
    .route('/', serviceApp);
  if (notFound) wrapper.notFound(notFound);
  wrapper.onError((err) => {
    throw err;
  });
  return wrapper;
}
