/**
 * A bound on password hashing. Each hash holds one of libuv's threads for its whole run, so more hashes
 * than threads only wait in libuv's own unbounded queue, and under load every caller's wait grows until
 * all of them time out. Here at most `slots` hashes run and `waiting` more wait their turn; past that
 * the caller is told at once to come back later (503 with Retry-After), which a busy machine can honour.
 */

/** libuv's default thread pool size, when UV_THREADPOOL_SIZE is not set. */
export const LIBUV_DEFAULT_THREADS = 4;
/**
 * Hashes that may wait, per slot: a caller admitted waits at most this many hashes' time (about 2 s at
 * 600,000 iterations on one core) before its own starts; one turned away is told to come back in 1 s.
 */
const WAITING_PER_SLOT = 8;
const LIBUV_MAX_THREADS = 1024;

/** Thrown by {@link HashQueue.run} when every slot and every waiting place is taken. */
export class HashQueueFull extends Error {
  override readonly name = 'HashQueueFull';
  constructor(
    readonly slots: number,
    readonly waiting: number,
  ) {
    super(`all ${slots} password hashing slots and ${waiting} waiting places are taken`);
  }
}

export interface HashQueueOptions {
  /** Hashes run at once: the size of libuv's thread pool (hashSlotsFrom). */
  readonly slots: number;
  /** Hashes that may wait for a slot; default: eight per slot. */
  readonly waiting?: number;
}

export interface HashQueue {
  /** Run `work` when a slot is free; rejects with HashQueueFull, without running it, when the queue is full. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** What runs and what waits now. */
  load(): { running: number; waiting: number };
}

/**
 * UV_THREADPOOL_SIZE as libuv reads it (default 4, at most 1024): how many hashes can really run at once.
 *
 * @example
 * hashSlotsFrom({ UV_THREADPOOL_SIZE: '8' }); // 8
 */
export function hashSlotsFrom(env: NodeJS.ProcessEnv): number {
  const text = env.UV_THREADPOOL_SIZE?.trim();
  if (!text) return LIBUV_DEFAULT_THREADS;
  if (!/^[0-9]+$/.test(text) || Number(text) < 1)
    throw new Error(`UV_THREADPOOL_SIZE must be a positive integer (libuv's thread pool size, default 4), got ${JSON.stringify(text)}`);
  return Math.min(Number(text), LIBUV_MAX_THREADS);
}

/**
 * @example
 * const queue = createHashQueue({ slots: hashSlotsFrom(process.env) });
 * const matches = await queue.run(() => verifyPassword(password, row.password_hash));
 */
export function createHashQueue({ slots, waiting = WAITING_PER_SLOT * slots }: HashQueueOptions): HashQueue {
  let running = 0;
  const queue: Array<() => void> = [];
  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else running -= 1;
  };
  return {
    async run<T>(work: () => Promise<T>): Promise<T> {
      if (running < slots) running += 1;
      else if (queue.length < waiting) await new Promise<void>((start) => queue.push(start));
      else throw new HashQueueFull(slots, waiting);
      try {
        return await work();
      } finally {
        release();
      }
    },
    load: () => ({ running, waiting: queue.length }),
  };
}
