import { describe, expect, it } from 'vitest';
import { createHashQueue, HashQueueFull, hashSlotsFrom } from './hash-queue.ts';

/** Work that runs until its release() is called, so a test decides when each hash ends. */
function heldWork(): { work: () => Promise<string>; started: () => boolean; release: () => void } {
  let started = false;
  let release = (): void => {};
  const done = new Promise<void>((resolve) => (release = resolve));
  return {
    work: async () => {
      started = true;
      await done;
      return 'hashed';
    },
    started: () => started,
    release: () => release(),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('createHashQueue', () => {
  it('runs as many hashes as it has slots, queues as many more, and turns the next away without running it', async () => {
    const queue = createHashQueue({ slots: 2, waiting: 1 });
    const jobs = [heldWork(), heldWork(), heldWork(), heldWork()];
    const results = jobs.slice(0, 3).map((job) => queue.run(job.work));
    await tick();
    expect(jobs.map((job) => job.started())).toEqual([true, true, false, false]);
    expect(queue.load()).toEqual({ running: 2, waiting: 1 });
    await expect(queue.run(jobs[3]!.work)).rejects.toBeInstanceOf(HashQueueFull);
    expect(jobs[3]!.started()).toBe(false);

    jobs[0]!.release();
    await results[0];
    await tick();
    expect(jobs[2]!.started()).toBe(true);
    expect(queue.load()).toEqual({ running: 2, waiting: 0 });
    jobs[1]!.release();
    jobs[2]!.release();
    expect(await Promise.all(results)).toEqual(['hashed', 'hashed', 'hashed']);
    expect(queue.load()).toEqual({ running: 0, waiting: 0 });
  });

  it('frees the slot of a hash that failed', async () => {
    const queue = createHashQueue({ slots: 1, waiting: 0 });
    await expect(queue.run(() => Promise.reject(new Error('broken')))).rejects.toThrow('broken');
    expect(await queue.run(async () => 'next')).toBe('next');
  });
});

describe('hashSlotsFrom', () => {
  it('is libuv thread pool size: 4 by default, UV_THREADPOOL_SIZE when set', () => {
    expect(hashSlotsFrom({})).toBe(4);
    expect(hashSlotsFrom({ UV_THREADPOOL_SIZE: '8' })).toBe(8);
  });

  it('refuses a UV_THREADPOOL_SIZE that is not a positive integer, naming it', () => {
    expect(() => hashSlotsFrom({ UV_THREADPOOL_SIZE: 'lots' })).toThrow(/UV_THREADPOOL_SIZE must be a positive integer/);
  });
});
