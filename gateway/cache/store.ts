/**
 * The answers kept for reuse: least recently used first out once their bytes pass `maxBytes`, each
 * dropped `ttlMs` after it was stored whatever happens (so an invalidation that never arrived costs at
 * most that long), and dropped at once by any of its tags (`thread:12`, `board:general`).
 */

/** One stored answer. */
export interface CachedAnswer {
  readonly status: number;
  /** Header lines as the handler set them, in order. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array<ArrayBuffer>;
  /** The strong validator sent as ETag, quotes included. */
  readonly etag: string;
  readonly tags: readonly string[];
  /** The name of the route that stored it: a route serves only its own answers. */
  readonly route?: string;
  /**
   * What serving it from the cache still does (count a view), bound to the request that stored it; given
   * the client's method (HEAD asks about a page without viewing it).
   */
  readonly onHit?: (clientMethod: string) => void;
}

export interface ResponseCacheOptions {
  /** The bound on what the stored bodies, keys and headers add up to. */
  readonly maxBytes: number;
  /** The bound on an answer's age: past it, it is never served. */
  readonly ttlMs: number;
  readonly now?: () => number;
}

export interface ResponseCacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
  readonly invalidated: number;
}

export interface TaggedCache<V> {
  /**
   * The fresh value stored under `key`, or undefined (a miss). `countMiss: false` leaves a miss out of
   * the figures, for a look-up that a counted one follows (the server's before the route's).
   */
  get(key: string, countMiss?: boolean): V | undefined;
  /** Store a value with its tags (one larger than maxBytes is not stored). */
  set(key: string, value: V): void;
  /** Drop every answer carrying any of these tags. */
  invalidate(tags: Iterable<string>): void;
  /** Drop everything. */
  clear(): void;
  /**
   * A number that changes on every invalidation: a miss takes it before rendering and stores only if it
   * has not moved, so a page rendered from rows a write has since changed is not kept.
   */
  generation(): number;
  stats(): ResponseCacheStats;
}

export type ResponseCache = TaggedCache<CachedAnswer>;

export interface TaggedCacheOptions<V> extends ResponseCacheOptions {
  /** What a value costs in bytes, roughly. */
  readonly sizeOf: (value: V) => number;
  readonly tagsOf: (value: V) => readonly string[];
}

interface Entry<V> {
  readonly value: V;
  readonly bytes: number;
  readonly expiresAt: number;
}

// What a stored entry costs besides its body: its key, header lines and bookkeeping, roughly.
const ENTRY_OVERHEAD_BYTES = 200;

/**
 * @example
 * const cache = createResponseCache({ maxBytes: 32 * 1024 * 1024, ttlMs: 5_000 });
 * cache.set('/t/12', { status: 200, headers, body, etag: '"abc"', tags: ['thread:12'] });
 * cache.invalidate(['thread:12']); // cache.get('/t/12') === undefined
 */
export const createResponseCache = (options: ResponseCacheOptions): ResponseCache =>
  createTaggedCache<CachedAnswer>({
    ...options,
    sizeOf: (answer) => answer.body.byteLength + answer.headers.reduce((sum, [name, value]) => sum + name.length + value.length, 0),
    tagsOf: (answer) => answer.tags,
  });

/**
 * The same store for any value: what a page reuses besides whole answers (a rendered list of posts).
 *
 * @example
 * const posts = createTaggedCache<{ html: string; tags: string[] }>({ maxBytes: 1 << 24, ttlMs: 5_000, sizeOf: (v) => v.html.length * 2, tagsOf: (v) => v.tags });
 */
export function createTaggedCache<V>({ maxBytes, ttlMs, now = Date.now, sizeOf, tagsOf }: TaggedCacheOptions<V>): TaggedCache<V> {
  // A Map keeps insertion order: re-inserting on each hit makes its first key the least recently used.
  const entries = new Map<string, Entry<V>>();
  const byTag = new Map<string, Set<string>>();
  let bytes = 0;
  let generation = 0;
  let hits = 0;
  let misses = 0;
  let invalidated = 0;

  const remove = (key: string): void => {
    const entry = entries.get(key);
    if (entry === undefined) return;
    entries.delete(key);
    bytes -= entry.bytes;
    for (const tag of tagsOf(entry.value)) {
      const keys = byTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) byTag.delete(tag);
    }
  };

  return {
    get(key, countMiss = true) {
      const entry = entries.get(key);
      if (entry === undefined || entry.expiresAt <= now()) {
        if (entry) remove(key);
        if (countMiss) misses++;
        return undefined;
      }
      entries.delete(key);
      entries.set(key, entry);
      hits++;
      return entry.value;
    },
    set(key, value) {
      const size = sizeOf(value) + key.length + ENTRY_OVERHEAD_BYTES;
      if (size > maxBytes) return;
      remove(key);
      while (bytes + size > maxBytes) remove(entries.keys().next().value!);
      entries.set(key, { value, bytes: size, expiresAt: now() + ttlMs });
      bytes += size;
      for (const tag of tagsOf(value)) {
        let keys = byTag.get(tag);
        if (keys === undefined) byTag.set(tag, (keys = new Set()));
        keys.add(key);
      }
    },
    invalidate(tags) {
      generation++;
      for (const tag of tags) {
        for (const key of [...(byTag.get(tag) ?? [])]) {
          remove(key);
          invalidated++;
        }
      }
    },
    clear() {
      generation++;
      for (const key of [...entries.keys()]) remove(key);
    },
    generation: () => generation,
    stats: () => ({ entries: entries.size, bytes, hits, misses, invalidated }),
  };
}
