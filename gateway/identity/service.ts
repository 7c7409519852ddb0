/** The internal endpoint legacy calls on logout, so every cache of the session forgets it at once. */
import { createRoute, z } from '@hono/zod-openapi';
import { internalRoutes } from '../internal/index.ts';
import { defineService, type Service } from '../server/service.ts';
import type { IdentityResolver } from './resolver.ts';

const HashParam = z.object({
  token_sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be the sha256 of the cookie value as 64 lowercase hex digits')
    .openapi({ param: { name: 'token_sha256', in: 'path' }, example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }),
});

export interface IdentityServiceOptions {
  /** The service's name: the endpoint is `DELETE /_internal/v1/<name>/<sha256>`. Default `sessions`, as the Python helper calls it. */
  readonly name?: string;
  /** Called after a logout's hash is forgotten here, e.g. to tell the server's other worker processes. */
  readonly onForget?: (tokenSha256: string) => void;
}

/**
 * @example
 * const service = createIdentityService(identity, { onForget: (hash) => siblings.send('sessions.forget', hash) });
 * // legacy, on logout: DELETE /_internal/v1/sessions/<sha256 of the cookie value>  → 204
 */
export function createIdentityService(resolver: Pick<IdentityResolver<object>, 'forget'>, { name = 'sessions', onForget }: IdentityServiceOptions = {}): Service {
  const internal = internalRoutes();
  internal.openapi(
    createRoute({
      method: 'delete',
      path: `/_internal/v1/${name}/{token_sha256}`,
      request: { params: HashParam },
      responses: { 204: { description: 'forgotten (whether or not anything was cached)' } },
    }),
    (c) => {
      const hash = c.req.valid('param').token_sha256;
      resolver.forget(hash);
      onForget?.(hash);
      return c.body(null, 204);
    },
  );
  return defineService({ name, internal });
}
