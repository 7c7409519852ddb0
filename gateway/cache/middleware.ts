/**
 * The Hono middleware in front of a service's public GETs: a guest's request is answered from the cache
 * when it can be (304 when the client already holds that version), and a guest's fresh 200 is stored for
 * the next guest. A request that carries credentials (the app says which) never reads nor fills the cache.
 */
import { isShadowRequest } from '../shadow/header.ts';
import { createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { CachedAnswer, ResponseCache } from './store.ts';

/**
 * Guest answers are `no-cache`: a browser or shared cache may keep them but asks again each time (with
 * If-None-Match, answered 304 when nothing changed), since a write can change them at any moment.
 */
export const GUEST_CACHE_CONTROL = 'no-cache';
/** Signed-in answers differ per user, and a guest's differ from them: caches must key on the Cookie header. */
export const VARY = 'Cookie';

export interface CachedRoutesOptions<C extends Context = Context> {
  readonly cache: ResponseCache;
  /** True when the request carries a session (or other credentials): it bypasses the cache both ways. */
  readonly isPersonal: (c: C) => boolean;
  /** The tags a stored answer is dropped by (`thread:12`); computed before the handler runs. */
  readonly tagsOf: (c: C) => readonly string[];
  /**
   * What a guest's answer from the cache (200 or 304) still does, e.g. count a view the handler would
   * have counted: made from the request that stores the answer, called with each later client's method.
   */
  readonly onHitOf?: (c: C) => ((clientMethod: string) => void) | undefined;
  readonly cacheControl?: string;
}

/**
 * The cache key: the path the service sees and the query with its parameters in name order (the order
 * of repeated names kept), so `?a=1&b=2` and `?b=2&a=1` share one entry. The same for the route's
 * middleware and for the server's look-up before routing (gateway/cache/front.ts).
 *
 * @example
 * cacheKey('/t/1', '?per_page=5&page=2'); // '/t/1?page=2&per_page=5'
 */
export function cacheKey(path: string, search: string): string {
  if (search === '' || search === '?') return path;
  const params = [...new URLSearchParams(search)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = new URLSearchParams(params).toString();
  return query === '' ? path : `${path}?${query}`;
}

/**
 * Whether an If-None-Match header names this ETag (RFC 9110 13.1.2: weak comparison, `*` matches).
 *
 * @example
 * matchesEtag('W/"abc", "def"', '"abc"'); // true
 */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const bare = (tag: string): string => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

/**
 * @example
 * app.use('/t/:id', cachedRoutes('page', { cache, isPersonal: hasSession, tagsOf: (c) => [`thread:${c.req.param('id')}`] }));
 */
export function cachedRoutes<C extends Context>(route: string, options: CachedRoutesOptions<C>): MiddlewareHandler {
  const { cache, isPersonal, tagsOf, onHitOf, cacheControl = GUEST_CACHE_CONTROL } = options;
  return async function responseCache(c, next) {
    const ctx = c as C;
    // A shadow copy is compared with legacy's answer of the same moment: it neither reads a stored answer
    // (which may be older, and would test the cache, not the handler) nor stores one (nobody asked for it).
    if ((c.req.method !== 'GET' && c.req.method !== 'HEAD') || isShadowRequest(c)) return next();
    if (isPersonal(ctx)) {
      await next();
      const res = c.res;
      try {
        res.headers.set('vary', VARY);
      } catch {
        // Headers of a fetched Response are immutable: a copy takes the line.
        const copy = new Response(res.body, res);
        copy.headers.set('vary', VARY);
        c.res = undefined as unknown as Response;
        c.res = copy;
      }
      return;
    }
    const url = new URL(c.req.url);
    const key = cacheKey(url.pathname, url.search);
    const hit = cache.get(key);
    // Another route's answer under the same path (a table that moved the path) is not this route's to serve.
    if (hit !== undefined && hit.route === route) {
      hit.onHit?.(c.req.method);
      return answerFrom(hit, c.req.header('if-none-match'));
    }
    const generation = cache.generation();
    const tags = tagsOf(ctx);
    const onHit = onHitOf?.(ctx);
    await next();
    const res = c.res;
    // Only a plain success is shared: an error may be passing (a 503), a cookie is someone's.
    if (res.status !== 200 || res.headers.has('set-cookie')) return;
    const body = new Uint8Array(await res.arrayBuffer());
    const etag = etagOf(body);
    const answer: CachedAnswer = { status: 200, headers: guestHeaders(res.headers, cacheControl, etag), body, etag, tags, route, onHit };
    // An invalidation while this was rendered may concern rows it read before the write: not kept.
    if (cache.generation() === generation) cache.set(key, answer);
    // Hono copies the old answer's headers onto a new one; dropping it first keeps the new headers as they are.
    c.res = undefined as unknown as Response;
    c.res = answerFrom(answer, c.req.header('if-none-match'));
  };
}

const etagOf = (body: Uint8Array): string => `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;

/** The handler's headers, in its order, with this cache's Cache-Control in place of its own, then ETag and Vary. */
function guestHeaders(headers: Headers, cacheControl: string, etag: string): [string, string][] {
  const lines: [string, string][] = [];
  for (const [name, value] of headers) {
    if (name === 'etag' || name === 'vary') continue;
    lines.push([name, name === 'cache-control' ? cacheControl : value]);
  }
  if (!headers.has('cache-control')) lines.push(['cache-control', cacheControl]);
  lines.push(['etag', etag], ['vary', VARY]);
  return lines;
}

function answerFrom(answer: CachedAnswer, ifNoneMatch: string | undefined): Response {
  if (matchesEtag(ifNoneMatch, answer.etag)) {
    // A 304 carries the validators and caching headers a 200 would have (RFC 9110 15.4.5), no body.
    const kept = answer.headers.filter(([name]) => name === 'cache-control' || name === 'etag' || name === 'vary');
    return new Response(null, { status: 304, headers: kept as [string, string][] });
  }
  return new Response(answer.body, { status: answer.status, headers: answer.headers as [string, string][] });
}
