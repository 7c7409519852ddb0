/**
 * Thread views written behind, with the real legacy app and the real TS server on one seeded database:
 * every thread page the TS server answered with 200 is one view in legacy's database, even when the TS
 * server is stopped (SIGTERM) in the middle of a load, and the views reach the database within the
 * flush interval without any shutdown.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createInternalCaller, InternalCallError, type InternalCaller } from '../../gateway/internal/index.ts';
import { createViewCounter } from '../../services/threads/index.ts';
import { ROOT, TEST_INTERNAL_TOKEN, waitUntil } from '../helpers/processes.ts';
import { startPair, type Pair } from './pair.ts';

const THREAD = 1;
const CLIENTS = 6;
// Enough answers before the signal that the stop lands in the middle of the load.
const ANSWERS_BEFORE_SIGTERM = 60;

/** Legacy and the TS server on one seeded database, on the repository's table, views flushed every `flushMs`. */
const startViewsPair = async (flushMs: string): Promise<Pair & { db: string }> => {
  const pair = await startPair({ tsEnv: () => ({ ROUTES: join(ROOT, 'routes.yaml'), FORUM_VIEWS_FLUSH_MS: flushMs }) });
  return Object.assign(pair, { db: join(pair.dir, 'forum.db') });
};

/** The thread's view count in the database, read the way any reader would. */
function storedViews(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT view_count FROM threads WHERE id = ?').get(THREAD) as { view_count: number }).view_count;
  } finally {
    db.close();
  }
}

let pair: (Pair & { db: string }) | undefined;
afterEach(async () => {
  await pair?.stop();
  pair = undefined;
});

describe('thread views written behind', () => {
  it('counts every page answered with 200 exactly once when the TS server is stopped by SIGTERM during a load', async () => {
    // An hour's interval: only the flush at shutdown can bring these views to the database.
    pair = await startViewsPair('3600000');
    const { ts, db } = pair;
    const before = storedViews(db);
    const exited = new Promise<number | null>((done) => ts.child.once('exit', (code) => done(code)));
    let answered = 0;
    let stopped = false;
    const client = async (): Promise<void> => {
      while (!stopped) {
        try {
          const res = await fetch(`${ts.url}/t/${THREAD}`);
          await res.arrayBuffer();
          if (res.status === 200) answered++;
        } catch {
          return; // the server is gone: this client is done
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, client);
    await waitUntil(() => answered >= ANSWERS_BEFORE_SIGTERM, `${ANSWERS_BEFORE_SIGTERM} thread pages answered`, 60_000);
    expect(storedViews(db)).toBe(before);
    ts.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    stopped = true;
    await Promise.all(clients);
    expect(storedViews(db)).toBe(before + answered);
    expect(ts.output.some((line) => line.includes('"views_lost"'))).toBe(false);
  });

  it('brings views to the database within the flush interval while the server runs', async () => {
    pair = await startViewsPair('200');
    const { ts, db } = pair;
    const before = storedViews(db);
    for (let i = 0; i < 5; i++) expect((await fetch(`${ts.url}/t/${THREAD}`)).status).toBe(200);
    expect((await fetch(`${ts.url}/t/${THREAD}`, { method: 'HEAD' })).status).toBe(200);
    await waitUntil(() => storedViews(db) === before + 5, 'five views in the database', 10_000);
    expect(ts.child.exitCode).toBe(null);
  });

  it("sends a batch again after legacy's answer was lost, and legacy counts it once", async () => {
    pair = await startViewsPair('3600000');
    const { legacy, db } = pair;
    const real = createInternalCaller({ baseUrl: legacy.url, token: TEST_INTERNAL_TOKEN });
    const sent: string[] = [];
    let loseNextAnswer = true;
    // Legacy applies the batch; its answer is lost on the way back, as on a timeout.
    const losing: InternalCaller = {
      async post<T>(path: string, body: unknown): Promise<T> {
        sent.push((body as { batch: string }).batch);
        const answer = await real.post<T>(path, body);
        if (!loseNextAnswer) return answer;
        loseNextAnswer = false;
        throw new InternalCallError('timeout', `POST ${legacy.url}${path} gave no answer within 2000 ms`);
      },
    };
    const views = createViewCounter({ legacy: losing, logger: pino({ level: 'silent' }), flushIntervalMs: 3_600_000 });
    const before = storedViews(db);
    for (let i = 0; i < 3; i++) views.record(THREAD);
    await views.flush();
    expect(storedViews(db)).toBe(before + 3);
    views.record(THREAD);
    await views.close();
    expect(sent).toHaveLength(3);
    expect(sent[1]).toBe(sent[0]);
    expect(sent[2]).not.toBe(sent[0]);
    expect(storedViews(db)).toBe(before + 4);
  });
});
