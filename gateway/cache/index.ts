/**
 * The page and response cache: a store bounded in bytes and in age, dropped by tags, and the middleware
 * that serves guests from it with ETag/304 and Vary. The app says what makes a request personal and
 * which tags an answer carries; a change bus (gateway/changes) tells it what to drop.
 */
export {
  createResponseCache,
  createTaggedCache,
  type CachedAnswer,
  type ResponseCache,
  type ResponseCacheOptions,
  type ResponseCacheStats,
  type TaggedCache,
  type TaggedCacheOptions,
} from './store.ts';
export { cachedRoutes, cacheKey, GUEST_CACHE_CONTROL, matchesEtag, VARY, type CachedRoutesOptions } from './middleware.ts';
export { createCacheStatsService } from './service.ts';
export { cacheFront, type CacheFront, type CacheFrontOptions } from './front.ts';
