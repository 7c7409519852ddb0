import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { openForumDb } from '../forum-common/index.ts';
import { createFixtureDb } from '../forum-common/testing.ts';
import { prepareThreadQueries } from './queries.ts';
import { fakeLegacyViews } from './testing.ts';
import type { InternalCaller } from '../../gateway/internal/index.ts';
import { createViewCounter, MAX_BATCH_THREADS } from './views.ts';

const fixture = createFixtureDb();
const db = openForumDb(fixture.file);
const queries = prepareThreadQueries(db);
const legacy = fakeLegacyViews(fixture.file);
afterAll(() => {
  db.close();
  legacy.close();
  fixture.cleanup();
});

const logger = pino({ level: 'silent' });
const viewCount = (id: number): number => queries.thread(id)!.view_count;
const counter = () => createViewCounter({ legacy, logger, flushIntervalMs: 3_600_000 });

describe('createViewCounter', () => {
  it('sends the counts of many threads in one call and keeps none of them afterwards', async () => {
    const views = counter();
    const [one, two] = [viewCount(1), viewCount(2)];
    const calls = legacy.batches.length;
    for (let i = 0; i < 5; i++) views.record(1);
    views.record(2);
    expect(views.unflushed(1)).toBe(5);
    await views.flush();
    expect(legacy.batches.length).toBe(calls + 1);
    expect([viewCount(1), viewCount(2)]).toEqual([one + 5, two + 1]);
    expect(views.unflushed(1)).toBe(0);
    await views.close();
  });

  it('sends a batch whose answer was lost again under the same id, and legacy counts it once', async () => {
    const views = counter();
    const before = viewCount(1);
    views.record(1);
    legacy.failNext({ applied: true });
    await views.flush();
    expect(viewCount(1)).toBe(before + 1);
    // Still shown as unsent: this process cannot know legacy applied it.
    expect(views.unflushed(1)).toBe(1);
    views.record(1);
    await views.flush();
    const [lost, retried, next] = legacy.batches.slice(-3);
    expect(retried).toBe(lost);
    expect(next).not.toBe(lost);
    expect(viewCount(1)).toBe(before + 2);
    expect(views.unflushed(1)).toBe(0);
    await views.close();
  });

  it('keeps the counts of a batch legacy never received and sends them on the next flush', async () => {
    const views = counter();
    const before = viewCount(3);
    views.record(3);
    views.record(3);
    legacy.failNext({ applied: false });
    await views.flush();
    expect(viewCount(3)).toBe(before);
    await views.flush();
    expect(viewCount(3)).toBe(before + 2);
    await views.close();
  });

  it('sends what is left on close, retrying a failed send', async () => {
    const views = counter();
    const before = viewCount(2);
    views.record(2);
    legacy.failNext({ applied: false });
    await views.close();
    expect(viewCount(2)).toBe(before + 1);
  });

  it('sends on its interval without being asked', async () => {
    const views = createViewCounter({ legacy, logger, flushIntervalMs: 20 });
    const before = viewCount(2);
    views.record(2);
    const deadline = Date.now() + 10_000;
    while (viewCount(2) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(viewCount(2)).toBe(before + 1);
    await views.close();
  });

  it('splits more threads than legacy takes in one batch into several calls in one flush', async () => {
    const sizes: number[] = [];
    const recording: InternalCaller = {
      async post<T>(_path: string, body: unknown): Promise<T> {
        const { batch, counts } = body as { batch: string; counts: Record<string, number> };
        sizes.push(Object.keys(counts).length);
        return { batch, applied: true, missing: [] } as T;
      },
    };
    const views = createViewCounter({ legacy: recording, logger, flushIntervalMs: 3_600_000 });
    for (let id = 1; id <= MAX_BATCH_THREADS + 1; id++) views.record(id);
    await views.flush();
    expect(sizes).toEqual([MAX_BATCH_THREADS, 1]);
    await views.close();
  });
});
