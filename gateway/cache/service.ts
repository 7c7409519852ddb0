/**
 * `GET /_internal/v1/cache`: the figures of this process's caches (entries, bytes, hits, misses, answers
 * dropped by invalidation), for benchmarks and operators. With several workers, the worker that took the
 * connection answers, and says which (`pid`).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { internalRoutes } from '../internal/index.ts';
import { defineService, type Service } from '../server/service.ts';
import type { TaggedCache } from './store.ts';

const Stats = z.object({ entries: z.number().int(), bytes: z.number().int(), hits: z.number().int(), misses: z.number().int(), invalidated: z.number().int() });

/**
 * @example
 * const cacheStats = createCacheStatsService({ responses: store, fragments });
 * // GET /_internal/v1/cache -> {"pid":123,"caches":{"responses":{"entries":4,"bytes":52311,"hits":90,"misses":4,"invalidated":2},…}}
 */
export function createCacheStatsService(caches: Readonly<Record<string, Pick<TaggedCache<unknown>, 'stats'>>>): Service {
  const internal = internalRoutes();
  internal.openapi(
    createRoute({
      method: 'get',
      path: '/_internal/v1/cache',
      responses: {
        200: {
          content: { 'application/json': { schema: z.object({ pid: z.number().int(), caches: z.record(z.string(), Stats) }) } },
          description: "this process's cache figures, by cache",
        },
      },
    }),
    (c) => c.json({ pid: process.pid, caches: Object.fromEntries(Object.entries(caches).map(([name, cache]) => [name, cache.stats()])) }, 200),
  );
  return defineService({ name: 'cache', internal });
}
