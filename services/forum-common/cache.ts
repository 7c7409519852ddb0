/**
 * The forum's side of the page and response cache (gateway/cache): which requests are personal (a
 * session cookie), which tags each cached answer carries, and which tags each change drops.
 *
 * Tags: `boards` (the home page, GET /api/v1/boards: every board's counts), `board:<slug>` (a board's
 * page), `thread:<id>` (a thread's page and its JSON). A change names what a commit touched:
 * `post` {thread, board} (a reply), `thread` {thread, board} (a new thread), `user` {user} (a
 * registration: no cached answer shows users who have not posted, so it drops nothing). A kind the forum
 * does not know drops everything, so a newer legacy never leaves stale pages behind.
 *
 * FORUM_CACHE (default 1; 0 turns the cache off), FORUM_CACHE_TTL_MS (default 5000: the longest a stored
 * answer is served, should an invalidation be lost), FORUM_CACHE_MAX_BYTES (default 64 MiB).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { cachedRoutes, cacheFront, createResponseCache, createTaggedCache, type CacheFront, type ResponseCache } from '../../gateway/cache/index.ts';
import type { Change } from '../../gateway/changes/index.ts';
import { cookieValue, SESSION_COOKIE } from './cookies.ts';

export const FORUM_CACHE_TTL_MS = 5_000;
export const FORUM_CACHE_MAX_BYTES = 64 * 1024 * 1024;

export interface ForumCacheSettings {
  readonly enabled: boolean;
  readonly ttlMs: number;
  readonly maxBytes: number;
}

/** How a forum service puts a route behind the cache. */
export interface ForumCache {
  /**
   * The middleware for one route: its name, its tags, and what a cached answer still does (made from the
   * request that stored it, called with each later client's method).
   */
  route(name: string, tagsOf: (c: Context) => readonly string[], onHitOf?: (c: Context) => ((clientMethod: string) => void) | undefined): MiddlewareHandler;
  /**
   * What a service hands the server to answer these routes' guests before routing, and with `personal`,
   * a signed-in viewer's page it can build at once (a request with credentials that it leaves, undefined,
   * takes the ordinary way); undefined when the cache is off.
   */
  front(routes: readonly string[], personal?: CacheFront['lookup']): CacheFront | undefined;
  /**
   * A value every request may share (a rendered list of posts), computed by `compute` (synchronous, so
   * no invalidation can come between its reads and its storing) and kept until one of its tags changes
   * or the TTL passes.
   */
  reuse<T>(key: string, tags: readonly string[], bytesOf: (value: T) => number, compute: () => T): T;
  /** Drop what these changes touched. */
  apply(changes: readonly Change[]): void;
  /** The stores by name (`responses`, `fragments`), for their figures; empty when the cache is off. */
  readonly stores: Readonly<Record<string, Pick<ResponseCache, 'stats'>>>;
}

const passThrough: MiddlewareHandler = async (_c, next) => next();

/** No cache: every route goes straight to its handler (what the parity suites run with). */
export const NO_FORUM_CACHE: ForumCache = {
  route: () => passThrough,
  front: () => undefined,
  reuse: (_key, _tags, _bytesOf, compute) => compute(),
  apply: () => undefined,
  stores: {},
};

interface Fragment {
  readonly value: unknown;
  readonly tags: readonly string[];
  readonly bytes: number;
}

// The fragments' share of FORUM_CACHE_MAX_BYTES; whole answers get the rest.
const FRAGMENT_SHARE = 0.25;

/**
 * @example
 * const cache = createForumCache(forumCacheSettingsFrom(env), 'forum_session');
 * bus.subscribe(cache.apply);
 * app.use('/t/:id', cache.route('thread-page', (c) => [`thread:${c.req.param('id')}`]));
 */
export function createForumCache(settings: ForumCacheSettings, sessionCookie: string = SESSION_COOKIE): ForumCache {
  if (!settings.enabled) return NO_FORUM_CACHE;
  const fragmentBytes = Math.floor(settings.maxBytes * FRAGMENT_SHARE);
  const store = createResponseCache({ maxBytes: settings.maxBytes - fragmentBytes, ttlMs: settings.ttlMs });
  const fragments = createTaggedCache<Fragment>({ maxBytes: fragmentBytes, ttlMs: settings.ttlMs, sizeOf: (f) => f.bytes, tagsOf: (f) => f.tags });
  // Any credentials make an answer someone's: a session cookie (even one that has expired) or an Authorization header.
  const isPersonal = (c: Context): boolean => c.req.header('authorization') !== undefined || cookieValue(c.req.header('cookie'), sessionCookie) !== undefined;
  // Before routing, stricter: a Cookie header that names the session cookie anywhere goes the ordinary way.
  const isPlainGuest = (headers: IncomingHttpHeaders): boolean => headers.authorization === undefined && !(headers.cookie?.includes(sessionCookie) ?? false);
  return {
    stores: { responses: store, fragments },
    route: (name, tagsOf, onHitOf) => cachedRoutes(name, { cache: store, isPersonal, tagsOf, onHitOf }),
    front(routes, personal) {
      const guests = cacheFront({ cache: store, routes, isPlainGuest });
      if (personal === undefined) return guests;
      // Only what the middleware calls personal by its session cookie alone: an Authorization header, or a
      // cookie that merely names the session cookie, takes the ordinary way.
      const hasSession = (headers: IncomingHttpHeaders): boolean => headers.authorization === undefined && cookieValue(headers.cookie, sessionCookie) !== undefined;
      return {
        lookup: (path, search, headers) => (isPlainGuest(headers) ? guests.lookup(path, search, headers) : hasSession(headers) ? personal(path, search, headers) : undefined),
      };
    },
    reuse<T>(key: string, tags: readonly string[], bytesOf: (value: T) => number, compute: () => T): T {
      const kept = fragments.get(key);
      if (kept !== undefined) return kept.value as T;
      const value = compute();
      fragments.set(key, { value, tags, bytes: bytesOf(value) });
      return value;
    },
    apply(changes) {
      const tags = changes.flatMap(tagsOfChange);
      for (const cache of [store, fragments]) {
        if (tags.includes(EVERYTHING)) cache.clear();
        else if (tags.length > 0) cache.invalidate(tags);
      }
    },
  };
}

const EVERYTHING = '*';

/**
 * The tags a change drops.
 *
 * @example
 * tagsOfChange({ kind: 'post', thread: 12, board: 'general' }); // ['thread:12', 'board:general', 'boards']
 */
export function tagsOfChange(change: Change): string[] {
  switch (change.kind) {
    case 'post':
    case 'thread':
      return [`thread:${change.thread}`, `board:${change.board}`, 'boards'];
    case 'user':
      return [];
    default:
      return [EVERYTHING];
  }
}

/** The settings from the environment, read once by the composition root; a bad value stops start-up with its fix. */
export function forumCacheSettingsFrom(env: NodeJS.ProcessEnv): ForumCacheSettings {
  const flag = env.FORUM_CACHE ?? '1';
  if (flag !== '0' && flag !== '1') throw new Error(`FORUM_CACHE must be 1 (cache guest pages and public JSON) or 0 (no cache); it is ${JSON.stringify(flag)}`);
  return { enabled: flag === '1', ttlMs: wholeFrom(env, 'FORUM_CACHE_TTL_MS', FORUM_CACHE_TTL_MS), maxBytes: wholeFrom(env, 'FORUM_CACHE_MAX_BYTES', FORUM_CACHE_MAX_BYTES) };
}

function wholeFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number, at least 1; it is ${JSON.stringify(text)}`);
  return value;
}
