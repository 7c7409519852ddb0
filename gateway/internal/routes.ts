/**
 * How a service declares its internal endpoints: an OpenAPIHono whose routes carry zod schemas. The same
 * schemas validate each request and make the OpenAPI document, so the two cannot drift apart.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { ServiceEnv } from '../server/service.ts';
import { describeZodError, errorJson } from './errors.ts';

export type InternalRoutes = OpenAPIHono<ServiceEnv>;

const TARGET_NAMES: Readonly<Record<string, string>> = { json: 'body', param: 'path', query: 'query', header: 'headers' };

/**
 * A fresh set of internal routes whose validation failures answer 400 `bad_request`, naming each field.
 *
 * @example
 * const internal = internalRoutes();
 * internal.openapi(createRoute({ method: 'get', path: '/_internal/v1/users/{id}', ... }), handler);
 * export const users = defineService({ name: 'users', app, internal });
 */
export function internalRoutes(): InternalRoutes {
  return new OpenAPIHono<ServiceEnv>({
    defaultHook: (result) => {
      if (!result.success) return errorJson('bad_request', describeZodError(result.error, TARGET_NAMES[result.target] ?? result.target));
      return undefined;
    },
  });
}
