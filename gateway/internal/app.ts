/**
 * The internal listener's app: bearer token first, then the services' internal routes, the OpenAPI
 * document and one error shape. Nothing here is reachable from the public listener; the front doors
 * refuse `/_internal` and the TS server's public app does too.
 */
import { isUtf8 } from 'node:buffer';
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../log/index.ts';
import { requestIdFrom } from '../request-id/index.ts';
import { METRICS_CONTENT_TYPE } from '../metrics/index.ts';
import { accessLog } from '../server/access-log.ts';
import type { ServerEnv } from '../server/env.ts';
import type { ServiceBindings } from '../server/service.ts';
import type { Service } from '../server/service.ts';
import { errorJson, InternalError, internalErrorHandler } from './errors.ts';
import { tokenMatcher } from './token.ts';
import { ADMIN_STATUS_PATH } from '../admin/index.ts';

export const OPENAPI_PATH = '/_internal/openapi.json';
export { ADMIN_STATUS_PATH };
const MAX_BODY_BYTES = 1024 * 1024;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const JSON_TYPE = /^application\/json\s*(;|$)/i;

export interface InternalAppOptions {
  readonly services: readonly Service[];
  readonly token: string;
  readonly logger: Logger;
  /** The version the OpenAPI document reports. */
  readonly version?: string;
  /** Prometheus text for `GET /metrics` (gateway/metrics), behind the same bearer token; no route when absent. */
  readonly metrics?: () => Promise<string>;
  /** What `GET /_internal/admin/status` answers (the revision each worker serves, the handlers mounted); none: 404. */
  readonly adminStatus?: () => Promise<unknown>;
}

/** Where the internal listener serves the metrics: Prometheus's default path. */
export const METRICS_PATH = '/metrics';

/**
 * @example
 * const internal = createInternalApp({ services, token, logger });
 * serve({ fetch: internal.fetch, hostname: '127.0.0.1', port: 8082 });
 */
type InternalEnv = { Bindings: ServerEnv['Bindings'] & ServiceBindings; Variables: ServerEnv['Variables'] };

export function createInternalApp({ services, token, logger, version = '1', metrics, adminStatus }: InternalAppOptions): OpenAPIHono<InternalEnv> {
  const app = new OpenAPIHono<InternalEnv>();
  app.use(async function requestId(c, next) {
    const id = requestIdFrom(c.req.header('x-request-id'));
    c.set('requestId', id);
    // Services read the request id from c.env (ServiceBindings), on this listener as on the public one.
    c.env = { ...c.env, requestId: id };
    c.set('backend', 'ts');
    await next();
    c.header('x-request-id', id);
    // Answers about users and sessions are never for a cache, successes as much as errors.
    c.header('cache-control', 'no-store');
  });
  app.use(accessLog({ logger, listener: 'internal' }));
  app.use(bearerToken(token));
  // The metrics name routes and traffic: a scraper sends the token too (docs/observability.md).
  if (metrics) app.get(METRICS_PATH, async (c) => c.body(await metrics(), 200, { 'content-type': METRICS_CONTENT_TYPE }));
  app.use(jsonBodies());
  for (const service of services) {
    if (service.internal) app.route('/', service.internal);
  }
  if (adminStatus) app.get(ADMIN_STATUS_PATH, async (c) => c.json(await adminStatus()));
  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', { type: 'http', scheme: 'bearer' });
  app.doc31(OPENAPI_PATH, {
    openapi: '3.1.0',
    info: {
      title: 'Strangler internal endpoints',
      version,
      description: 'Served only on the internal listener; every request needs Authorization: Bearer <STRANGLER_INTERNAL_TOKEN>.',
    },
    security: [{ Bearer: [] }],
  });
  const allowed = methodsByPath(app.routes);
  app.notFound((c) => {
    const allow = allowed(c.req.path);
    if (allow.length > 0) return errorJson('method_not_allowed', `method ${c.req.method} is not allowed here; use ${allow.join(', ')}`, { allow: allow.join(', ') });
    return errorJson('not_found', 'no internal endpoint at this path; GET /_internal/openapi.json lists them');
  });
  app.onError(internalErrorHandler(logger));
  return app;
}

/** 401 for a missing or wrong token, whatever the path: a caller without it learns nothing else. */
const bearerToken = (token: string): MiddlewareHandler<InternalEnv> => {
  const matches = tokenMatcher(token);
  return async function bearerToken(c, next) {
    const header = c.req.header('authorization') ?? '';
    const presented = /^Bearer +(\S+) *$/i.exec(header)?.[1];
    if (!matches(presented)) return errorJson('unauthorized', 'missing or wrong bearer token', { 'www-authenticate': 'Bearer' });
    await next();
    return undefined;
  };
};

/**
 * Bodies are JSON, UTF-8 and at most 1 MiB, checked before any route reads them (a JSON parser would
 * quietly turn bytes that are not UTF-8 into U+FFFD, and the route would store what was never sent).
 */
const jsonBodies = (): MiddlewareHandler<InternalEnv> => {
  const limit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => errorJson('too_large', 'the request body is larger than 1 MiB') });
  return async function jsonBodies(c, next) {
    if (!BODY_METHODS.has(c.req.method)) return next();
    const type = c.req.header('content-type');
    const length = c.req.header('content-length');
    const hasBody = (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined;
    if (type !== undefined ? !JSON_TYPE.test(type) : hasBody) {
      return errorJson(
        'unsupported_media_type',
        `the request body must be JSON sent with Content-Type: application/json (got ${type === undefined ? 'no Content-Type' : JSON.stringify(type)})`,
      );
    }
    return limit(c, async () => {
      if (!isUtf8(await c.req.arrayBuffer())) throw new InternalError('bad_request', 'the request body is not valid UTF-8; send JSON encoded as UTF-8');
      await next();
    });
  };
};

/** The methods some route answers at a path, for a 405's Allow; empty when no route has the path. */
function methodsByPath(routes: readonly { method: string; path: string }[]): (path: string) => string[] {
  const patterns = routes
    .filter((route) => route.method !== 'ALL' && route.path.startsWith('/_internal'))
    .map((route) => ({ method: route.method, regex: new RegExp(`^${route.path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`) }));
  return (path) => {
    const methods = new Set(patterns.filter(({ regex }) => regex.test(path)).map(({ method }) => method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods];
  };
}
