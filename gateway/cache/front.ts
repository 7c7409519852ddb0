/**
 * The look-up the TS server makes before routing: a guest's GET or HEAD whose answer is stored is
 * answered at the listener, without Hono's routing, middleware and Response objects (most of a cache
 * hit's cost). It finds exactly what the route's middleware would serve, or nothing, and then the
 * request takes the ordinary way: the middleware decides as before.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { cacheKey } from './middleware.ts';
import type { CachedAnswer, ResponseCache } from './store.ts';

/** What a service offers the server for answering before routing. */
export interface CacheFront {
  /**
   * The stored answer for a guest's GET or HEAD of this path (as the service sees it) and query, or
   * undefined: nothing stored, or the request may not be a guest's (the middleware then decides).
   */
  lookup(path: string, search: string, headers: IncomingHttpHeaders): CachedAnswer | undefined;
}

export interface CacheFrontOptions {
  readonly cache: ResponseCache;
  /** The names of the routes (as given to `cachedRoutes`) whose answers this front may serve. */
  readonly routes: readonly string[];
  /**
   * True only when the request plainly carries no credentials. It must never say so of a request the
   * route's `isPersonal` calls personal; it may be stricter (a cookie that merely names the session
   * cookie anywhere), since a request it refuses still gets the same answer through the middleware.
   */
  readonly isPlainGuest: (headers: IncomingHttpHeaders) => boolean;
}

/**
 * @example
 * const front = cacheFront({ cache, routes: ['thread-page'], isPlainGuest: (h) => h.authorization === undefined && !h.cookie?.includes('session') });
 * front.lookup('/t/1', '', req.headers); // the stored answer, or undefined
 */
export function cacheFront({ cache, routes, isPlainGuest }: CacheFrontOptions): CacheFront {
  const served = new Set(routes);
  return {
    lookup(path, search, headers) {
      if (!isPlainGuest(headers)) return undefined;
      // A miss here is followed by the middleware's own look-up, which counts it.
      const hit = cache.get(cacheKey(path, search), false);
      return hit !== undefined && hit.route !== undefined && served.has(hit.route) ? hit : undefined;
    },
  };
}
