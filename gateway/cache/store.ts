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

export interface ResponseCache {
  /** The fresh answer stored under `key`, or undefined (a miss). */
  get(key: string): CachedAnswer | undefined;
  /** Store an answer (one larger than maxBytes is not stored). */
  set(key: string, answer: CachedAnswer): void;
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

interface Entry {
  readonly answer: CachedAnswer;
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
export function createResponseCache({ maxBytes, ttlMs, now = Date.now }: ResponseCacheOptions): ResponseCache {
  // A Map keeps insertion order: re-inserting on each hit makes its first key the least recently used.
  const entries = new Map<string, Entry>();
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
    for (const tag of entry.answer.tags) {
      const keys = byTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) byTag.delete(tag);
    }
  };

  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined || entry.expiresAt <= now()) {
        if (entry) remove(key);
        misses++;
        return undefined;
      }
      entries.delete(key);
      entries.set(key, entry);
      hits++;
      return entry.answer;
    },
    set(key, answer) {
      const size = answer.body.byteLength + key.length + answer.headers.reduce((sum, [name, value]) => sum + name.length + value.length, 0) + ENTRY_OVERHEAD_BYTES;
      if (size > maxBytes) return;
      remove(key);
      while (bytes + size > maxBytes) remove(entries.keys().next().value!);
      entries.set(key, { answer, bytes: size, expiresAt: now() + ttlMs });
      bytes += size;
      for (const tag of answer.tags) {
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
