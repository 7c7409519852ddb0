/**
 * Internal endpoints: what legacy code calls for the pieces that moved. One listener, loopback by
 * default, a bearer token compared in constant time, zod-validated requests, one error shape, and an
 * OpenAPI document generated from the same schemas. See docs/internal-api.md.
 *
 * @example
 * const check = internalTokenFrom(process.env);
 * const internal = createInternalApp({ services, token: check.token, logger });
 */
export { createInternalApp, ADMIN_STATUS_PATH, OPENAPI_PATH, METRICS_PATH, type InternalAppOptions } from './app.ts';
export { InternalError, errorJson, describeZodError, INTERNAL_ERROR_CODES, type InternalErrorCode } from './errors.ts';
export { internalRoutes, type InternalRoutes } from './routes.ts';
export { internalTokenFrom, tokenMatcher, MIN_TOKEN_BYTES, TOKEN_VARIABLE, type TokenCheck } from './token.ts';
export {
  createInternalCaller,
  InternalCallError,
  REQUEST_BUDGET_MS,
  withRequestDeadline,
  type InternalCaller,
  type InternalCallerOptions,
  type InternalCallFailure,
  type InternalCallOptions,
} from './caller.ts';
