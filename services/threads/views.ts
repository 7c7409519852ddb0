/**
 * Thread views, written behind: a GET of a thread page only adds one to a count in memory; the counts
 * go to legacy (whose threads table it is) in one internal call per interval,
 * `POST /_internal/legacy/threads/views {"batch": id, "counts": {"12": 3}}`, which legacy applies in one
 * transaction and remembers by its batch id. A batch that failed is sent again, whole and under the same
 * id, before anything newer, so a batch legacy applied but whose answer was lost is not counted twice.
 * `close()` sends what is left: nothing is lost on SIGTERM while legacy answers.
 *
 * The delay between a view and its count in the database is at most `flushIntervalMs` plus one call
 * while legacy answers; a view is shown at once on the page of the process that counted it.
 */
import { randomUUID } from 'node:crypto';
import { InternalCallError, type InternalCaller } from '../../gateway/internal/index.ts';
import type { Logger } from '../../gateway/log/index.ts';

export const VIEWS_BATCH_PATH = '/_internal/legacy/threads/views';
/** The default bound on how long a view waits in memory before it is sent. */
export const VIEWS_FLUSH_INTERVAL_MS = 1_000;
// Legacy takes at most 10,000 threads in one batch (forum/internal_api.py MAX_BATCH_THREADS).
export const MAX_BATCH_THREADS = 10_000;
// A flush stops after this many calls; what is left waits for the next one.
const MAX_ROUNDS_PER_FLUSH = 100;
// Sending at close is retried this many times (a legacy restart, a locked database) before giving up.
const CLOSE_ATTEMPTS = 5;
const CLOSE_RETRY_MS = 200;

/** What legacy answers for a batch: whether it was applied now (false: it had been before) and the thread ids it did not find. */
export interface ViewsBatchAnswer {
  readonly batch: string;
  readonly applied: boolean;
  readonly missing: readonly number[];
}

export interface ViewCounterOptions {
  /** Legacy's internal endpoints (createInternalCaller). */
  readonly legacy: InternalCaller;
  readonly logger: Logger;
  /** How often the counts are sent; default {@link VIEWS_FLUSH_INTERVAL_MS}. */
  readonly flushIntervalMs?: number;
  /** A new batch's id; a random UUID by default. */
  readonly batchId?: () => string;
}

export interface ViewCounter {
  /** Count one view of a thread (synchronous, no I/O). */
  record(threadId: number): void;
  /** Views of a thread counted here and not yet in the database as far as this process knows. */
  unflushed(threadId: number): number;
  /** Send what is counted now (and any batch that failed before); resolves once legacy answered or the call failed. */
  flush(): Promise<void>;
  /** Stop the interval and send everything left, retrying a few times; logs what could not be sent. */
  close(): Promise<void>;
}

interface Batch {
  readonly id: string;
  readonly counts: Map<number, number>;
}

/**
 * @example
 * const views = createViewCounter({ legacy: createInternalCaller({ baseUrl, token }), logger });
 * views.record(12); // the page shows thread.view_count + views.unflushed(12)
 * await views.close(); // at shutdown
 */
export function createViewCounter({ legacy, logger, flushIntervalMs = VIEWS_FLUSH_INTERVAL_MS, batchId = randomUUID }: ViewCounterOptions): ViewCounter {
  let pending = new Map<number, number>();
  // The batch being sent or that failed: sent again as it is, under its id, before any newer counts.
  let unsent: Batch | null = null;
  let sending: Promise<void> | null = null;
  let closed = false;

  const sendOnce = async (): Promise<boolean> => {
    if (unsent === null) {
      if (pending.size === 0) return true;
      unsent = { id: batchId(), counts: takeBatch() };
    }
    const batch = unsent;
    try {
      const answer = await legacy.post<ViewsBatchAnswer>(VIEWS_BATCH_PATH, { batch: batch.id, counts: Object.fromEntries(batch.counts) });
      unsent = null;
      if (answer?.missing?.length) logger.debug({ event: 'views_missing_threads', batch: batch.id, threads: answer.missing }, 'views of threads that no longer exist were dropped');
      return true;
    } catch (err) {
      if (!(err instanceof InternalCallError)) throw err;
      logger.warn(
        { event: 'views_flush_failed', batch: batch.id, threads: batch.counts.size, kind: err.kind, err: err.message },
        `sending view counts failed; batch ${batch.id} is sent again`,
      );
      return false;
    }
  };

  /** Up to MAX_BATCH_THREADS threads' counts, taken out of `pending`. */
  const takeBatch = (): Map<number, number> => {
    if (pending.size <= MAX_BATCH_THREADS) {
      const all = pending;
      pending = new Map();
      return all;
    }
    const some = new Map<number, number>();
    for (const [id, n] of pending) {
      if (some.size === MAX_BATCH_THREADS) break;
      some.set(id, n);
      pending.delete(id);
    }
    return some;
  };

  const flush = (): Promise<void> => {
    // One call at a time: a second flush waits for the one under way. A failed batch goes first, then
    // what is pending, a batch at a time; a failure ends the flush until the next one.
    sending ??= (async () => {
      try {
        for (let round = 0; round < MAX_ROUNDS_PER_FLUSH && (await sendOnce()) && pending.size > 0; round++);
      } finally {
        sending = null;
      }
    })();
    return sending;
  };

  // A flush that throws (a bug, not a failed call) is logged, never an unhandled rejection.
  const flushLogged = (): void => void flush().catch((err: unknown) => logger.error({ event: 'views_flush_error', err }, 'sending view counts threw'));
  const timer = setInterval(flushLogged, flushIntervalMs);
  timer.unref();

  const total = (counts: Map<number, number> | undefined, threadId: number): number => counts?.get(threadId) ?? 0;

  return {
    record(threadId) {
      pending.set(threadId, (pending.get(threadId) ?? 0) + 1);
      // A view answered after close (a straggler) is sent at once rather than waiting for no timer.
      if (closed) flushLogged();
    },
    // A batch under way counts until its answer is in: for that moment a page may show it twice, never zero times.
    unflushed: (threadId) => total(pending, threadId) + total(unsent?.counts, threadId),
    flush,
    async close() {
      closed = true;
      clearInterval(timer);
      for (let attempt = 1; attempt <= CLOSE_ATTEMPTS; attempt++) {
        if (sending) await sending;
        await flush();
        if (unsent === null && pending.size === 0) return;
        await new Promise((done) => setTimeout(done, CLOSE_RETRY_MS));
      }
      const left = [...(unsent?.counts ?? []), ...pending].reduce((sum, [, n]) => sum + n, 0);
      logger.error({ event: 'views_lost', views: left, batch: unsent?.id }, `${left} thread views could not be sent to legacy at shutdown`);
    },
  };
}
