/**
 * `GET /_internal/v1/live`: this process's live connections and subscriptions, for benchmarks, soaks and
 * operators (with several workers, the worker that took the connection answers, and says which: `pid`).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { internalRoutes } from '../../gateway/internal/index.ts';
import type { LiveRegistry } from '../../gateway/live/index.ts';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ServiceEnv } from '../../gateway/server/index.ts';
import type { LiveFeed } from './feed.ts';

const Stats = z.object({
  pid: z.number().int(),
  connections: z.number().int(),
  max_connections: z.number().int(),
  subscriptions: z.number().int(),
});

/**
 * @example
 * const internal = liveStatsRoutes(registry, feed);
 * // GET /_internal/v1/live -> {"pid":123,"connections":2,"max_connections":20000,"subscriptions":3}
 */
export function liveStatsRoutes(registry: LiveRegistry, feed: LiveFeed): OpenAPIHono<ServiceEnv> {
  const internal = internalRoutes();
  internal.openapi(
    createRoute({
      method: 'get',
      path: '/_internal/v1/live',
      responses: { 200: { content: { 'application/json': { schema: Stats } }, description: "this process's live connections (SSE and WebSocket) and topic subscriptions" } },
    }),
    (c) => c.json({ pid: process.pid, connections: registry.size(), max_connections: registry.maxConnections, subscriptions: feed.size() }, 200),
  );
  return internal;
}
