/**
 * The thread page's collaborators for unit tests: legacy's real templates and error page, a stand-in
 * for legacy's views endpoint that counts on the fixture database as legacy would, fixed sessions.
 *
 * @example
 * const { app } = createThreadsService(db, threadPageTestOptions(fixture.file));
 */
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { InternalCallError, type InternalCaller } from '../../gateway/internal/index.ts';
import { createForumPages, LEGACY_TEMPLATES_DIR, loadForumTemplates } from '../forum-common/index.ts';
import { createSessionResolver, type Session, type SessionResolver } from '../sessions/index.ts';
import type { ThreadPageOptions } from './page.ts';

/** Cookie values the stand-in resolver knows: alice's session, and one whose resolve fails. */
export const ALICE_COOKIE = 'alice-cookie';
export const LEGACY_DOWN_COOKIE = 'legacy-down';

/** Legacy's views endpoint on the fixture file: counts, answers the new count, 404 for no such thread. */
export function fakeLegacyViews(file: string): InternalCaller & { calls: string[]; close(): void } {
  const db = new Database(file);
  const count = db.prepare<[number], { view_count: number }>('UPDATE threads SET view_count = view_count + 1 WHERE id = ? RETURNING view_count');
  const calls: string[] = [];
  return {
    calls,
    async post<T>(path: string): Promise<T> {
      calls.push(path);
      const id = Number(/\/threads\/(\d+)\/views$/.exec(path)?.[1]);
      const row = count.get(id);
      if (!row) throw new InternalCallError('not_found', `POST ${path} answered 404`);
      return row as T;
    },
    close: () => db.close(),
  };
}

/** The real resolver in front of a stand-in for legacy's resolve endpoint that knows alice and fails for LEGACY_DOWN_COOKIE. */
export const fakeSessions: SessionResolver = createSessionResolver({
  ttlMs: 0,
  legacy: {
    async post<T>(_path: string, body: unknown): Promise<T> {
      const { token } = body as { token: string };
      if (token === LEGACY_DOWN_COOKIE) throw new InternalCallError('unavailable', 'POST http://legacy/_internal/legacy/sessions/resolve failed: ECONNREFUSED');
      const session: Session | null = token === ALICE_COOKIE ? { user_id: 1, expires_at: '2099-01-01T00:00:00Z' } : null;
      return { session } as T;
    },
  },
});

export function threadPageTestOptions(legacy: InternalCaller, overrides: Partial<ThreadPageOptions> = {}): ThreadPageOptions {
  return {
    templates: loadForumTemplates(LEGACY_TEMPLATES_DIR),
    pages: createForumPages(`${LEGACY_TEMPLATES_DIR}/error.html`),
    legacy,
    sessions: fakeSessions,
    findUser: (id) => (id === 1 ? { username: 'alice' } : undefined),
    logger: pino({ level: 'silent' }),
    ...overrides,
  };
}
