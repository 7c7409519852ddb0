/**
 * The one decision the TS server makes per request: does a mounted service answer it, or legacy?
 */
import type { Route } from '../routes/types.ts';

/**
 * The service that answers `method` on `route`, or null when the request goes to legacy.
 * A route in mode `next` answers the methods it lists (GET implies HEAD; no list: every method).
 *
 * @example
 * serviceFor({ mode: 'next', handler: 'threads', methods: ['GET'], ... }, 'HEAD'); // 'threads'
 * serviceFor({ mode: 'next', handler: 'threads', methods: ['GET'], ... }, 'POST'); // null
 */
export function serviceFor(route: Route, method: string): string | null {
  if (route.mode !== 'next' || route.handler === null) return null;
  if (route.methods === null) return route.handler;
  const wanted = method.toUpperCase();
  const listed = route.methods.some((allowed) => allowed === wanted || (allowed === 'GET' && wanted === 'HEAD'));
  return listed ? route.handler : null;
}
