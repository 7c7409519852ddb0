/**
 * The users service owns the users table. Internally it answers lookups, password checks and
 * registrations for legacy (see internal.ts and docs/internal-api.md); publicly it answers
 * `GET /api/v1/me` for a session legacy started, by asking legacy whose session the cookie is.
 */
import { Hono } from 'hono';
import type { Change } from '../../gateway/changes/index.ts';
import { InternalCallError } from '../../gateway/internal/index.ts';
import type { Logger } from '../../gateway/log/index.ts';
import { defineService, type PublicService, type ServiceEnv } from '../../gateway/server/index.ts';
import { ApiError, apiJson, forumErrors, methodNotAllowed } from '../forum-common/index.ts';
import { sessionUser, type SessionResolver } from '../sessions/index.ts';
import { createUsersInternal } from './internal.ts';
import type { UserQueries } from './queries.ts';

export { iterationsFrom, hashPassword, verifyPassword } from './passwords.ts';
export { hashSlotsFrom } from './hash-queue.ts';
export { prepareUserQueries, type UserQueries, type UserRow } from './queries.ts';

export interface UsersServiceOptions {
  /** The users table's statements, prepared on a writable handle (openForumDbForWriting): this service owns it. */
  readonly queries: UserQueries;
  readonly sessions: SessionResolver;
  readonly iterations: number;
  /** Password hashes run at once (hashSlotsFrom: UV_THREADPOOL_SIZE); more wait, and past twice that legacy is asked to retry. */
  readonly hashSlots?: number;
  readonly logger: Logger;
  /** Told after each committed write of the users table (the change bus's publish). */
  readonly onChange?: (changes: readonly Change[]) => void;
}

const ME_ALLOW = ['GET', 'HEAD'] as const;

/**
 * @example
 * const users = createUsersService({ queries: prepareUserQueries(openForumDbForWriting(file)), sessions, iterations: 600_000, logger });
 * await users.app.request('/api/v1/me', { headers: { cookie: 'forum_session=…' } }); // {"user":{"id":1,"username":"alice"}}
 */
export function createUsersService({ queries, sessions, iterations, hashSlots, logger, onChange }: UsersServiceOptions): PublicService {
  const app = new Hono<ServiceEnv>();
  app.onError(forumErrors);
  app.get('/api/v1/me', async (c) => {
    let user;
    try {
      user = await sessionUser(sessions, c.req.header('cookie'), c.env.requestId, queries.byId);
    } catch (err) {
      if (!(err instanceof InternalCallError)) throw err;
      logger.error({ event: 'internal_call_failed', request_id: c.env.requestId, call: 'legacy sessions/resolve', kind: err.kind, err: err.message }, err.message);
      throw new ApiError(503, 'unavailable', 'cannot check your session right now; try again in a moment');
    }
    if (!user) throw loginFirst();
    return apiJson({ user: { id: user.id, username: user.username } });
  });
  app.all('/api/v1/me', (c) => {
    throw methodNotAllowed(c.req.method, ME_ALLOW);
  });
  return defineService({ name: 'users', app, internal: createUsersInternal({ queries, iterations, hashSlots, onChange }) });
}

const loginFirst = (): ApiError => new ApiError(401, 'unauthorized', 'log in first');
