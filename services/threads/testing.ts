/**
 * The thread page's collaborators for unit tests: legacy's real templates and error page, a stand-in
 * for legacy's batch views endpoint that counts on the fixture database as legacy would, fixed sessions.
 *
 * @example
 * const { app } = createThreadsService(db, threadPageTestOptions(fakeLegacyViews(fixture.file)));
 */
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { InternalCallError, type InternalCaller } from '../../gateway/internal/index.ts';
import { createForumPages, LEGACY_TEMPLATES_DIR, loadForumTemplates } from '../forum-common/index.ts';
import { createSessionResolver, type Session, type SessionResolver } from '../sessions/index.ts';
import type { ThreadPageOptions } from './page.ts';
import { createViewCounter, VIEWS_BATCH_PATH, type ViewCounter } from './views.ts';

/** Cookie values the stand-in resolver knows: alice's session, and one whose resolve fails. */
export const ALICE_COOKIE = 'alice-cookie';
export const LEGACY_DOWN_COOKIE = 'legacy-down';

/**
 * Legacy's batch views endpoint on the fixture file, as legacy applies it: every count in one
 * transaction, a batch id applied once, ids of threads it did not find answered as `missing`.
 * `failNext` makes the next call fail (after applying, when `applied`), as a lost answer would.
 */
export function fakeLegacyViews(file: string): InternalCaller & { batches: string[]; failNext(options: { applied: boolean }): void; close(): void } {
  const db = new Database(file);
  const count = db.prepare<[number, number]>('UPDATE threads SET view_count = view_count + ? WHERE id = ?');
  const seen = new Set<string>();
  const batches: string[] = [];
  let failure: { applied: boolean } | null = null;
  const apply = db.transaction((counts: Record<string, number>) => Object.entries(counts).flatMap(([id, n]) => (count.run(n, Number(id)).changes === 0 ? [Number(id)] : [])));
  return {
    batches,
    failNext: (options) => (failure = options),
    async post<T>(path: string, body: unknown): Promise<T> {
      if (path !== VIEWS_BATCH_PATH) throw new InternalCallError('not_found', `POST ${path} answered 404`);
      const { batch, counts } = body as { batch: string; counts: Record<string, number> };
      batches.push(batch);
      const failing = failure;
      failure = null;
      if (failing && !failing.applied) throw new InternalCallError('unavailable', `POST http://legacy${path} failed: ECONNREFUSED`);
      const applied = !seen.has(batch);
      const missing = applied ? apply(counts) : [];
      seen.add(batch);
      if (failing) throw new InternalCallError('timeout', `POST http://legacy${path} gave no answer within 2000 ms`);
      return { batch, applied, missing } as T;
    },
    close: () => db.close(),
  };
}

/** A stand-in for legacy's resolve endpoint that knows alice and fails for LEGACY_DOWN_COOKIE. */
export const fakeSessionsLegacy: InternalCaller = {
  async post<T>(_path: string, body: unknown): Promise<T> {
    const { token } = body as { token: string };
    if (token === LEGACY_DOWN_COOKIE) throw new InternalCallError('unavailable', 'POST http://legacy/_internal/legacy/sessions/resolve failed: ECONNREFUSED');
    const session: Session | null = token === ALICE_COOKIE ? { user_id: 1, expires_at: '2099-01-01T00:00:00Z' } : null;
    return { session } as T;
  },
};

/** The real resolver, keeping nothing, in front of {@link fakeSessionsLegacy}. */
export const fakeSessions: SessionResolver = createSessionResolver({ ttlMs: 0, legacy: fakeSessionsLegacy });

/** The page's options with a real view counter sending to `legacy` (flushed by the test, not by time). */
export function threadPageTestOptions(legacy: InternalCaller, overrides: Partial<Omit<ThreadPageOptions, 'views'>> = {}): ThreadPageOptions & { views: ViewCounter } {
  return {
    views: createViewCounter({ legacy, logger: pino({ level: 'silent' }), flushIntervalMs: 3_600_000 }),
    templates: loadForumTemplates(LEGACY_TEMPLATES_DIR),
    pages: createForumPages(`${LEGACY_TEMPLATES_DIR}/error.html`),
    sessions: fakeSessions,
    findUser: (id) => (id === 1 ? { username: 'alice' } : undefined),
    logger: pino({ level: 'silent' }),
    ...overrides,
  };
}
