/**
 * The sessions service: a cache of legacy's answer to "whose session is this cookie?", and the internal
 * endpoint legacy calls on logout so the cache forgets at once.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { internalRoutes } from '../../gateway/internal/index.ts';
import { defineService, type Service } from '../../gateway/server/index.ts';
import type { SessionResolver } from './resolver.ts';

export { createSessionResolver, tokenSha256, RESOLVE_PATH, type Session, type SessionResolver, type SessionResolverOptions } from './resolver.ts';

const HashParam = z.object({
  token_sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be the sha256 of the cookie value as 64 lowercase hex digits')
    .openapi({ param: { name: 'token_sha256', in: 'path' }, example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }),
});

/**
 * @example
 * const sessions = createSessionsService(resolver);
 * // legacy, on logout: DELETE /_internal/v1/sessions/<sha256 of the cookie value>  → 204
 */
export function createSessionsService(resolver: SessionResolver): Service {
  const internal = internalRoutes();
  internal.openapi(
    createRoute({
      method: 'delete',
      path: '/_internal/v1/sessions/{token_sha256}',
      request: { params: HashParam },
      responses: { 204: { description: 'forgotten (whether or not anything was cached)' } },
    }),
    (c) => {
      resolver.forget(c.req.valid('param').token_sha256);
      return c.body(null, 204);
    },
  );
  return defineService({ name: 'sessions', internal });
}
