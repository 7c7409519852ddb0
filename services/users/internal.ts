/**
 * `/_internal/v1/users/...`: look a user up by id, by username or by a list of ids, verify a password,
 * register. The only code that reads or writes the users table; legacy reaches it through these.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Change } from '../../gateway/changes/index.ts';
import { InternalError, internalRoutes, type InternalRoutes } from '../../gateway/internal/index.ts';
import { createHashQueue, HashQueueFull, LIBUV_DEFAULT_THREADS, type HashQueue } from './hash-queue.ts';
import { dummyVerify, hashPassword, verifyPassword } from './passwords.ts';
import type { UserQueries } from './queries.ts';
import { Credentials, IdParam, IdsQuery, MaybeUserAnswer, Registration, UserAnswer, UsernameParam, UsersAnswer } from './schemas.ts';

const ErrorAnswer = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).openapi('Error');
const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const errors = {
  400: json(ErrorAnswer, 'a parameter or field is missing or invalid; the message names it'),
  401: json(ErrorAnswer, 'missing or wrong bearer token'),
};
const busy = { 503: json(ErrorAnswer, 'every password hashing slot is taken: nothing was done; call again after Retry-After seconds') };
/** Seconds a caller turned away by a full hash queue is asked to wait: a few hashes' time. */
const RETRY_AFTER_SECONDS = '1';

export interface UsersInternalOptions {
  readonly queries: UserQueries;
  readonly iterations: number;
  /** Password hashes run at once: libuv's thread pool size (hashSlotsFrom), default 4. */
  readonly hashSlots?: number;
  readonly now?: () => Date;
  /** Told after each committed write (a registration), as legacy tells the change endpoint after its own. */
  readonly onChange?: (changes: readonly Change[]) => void;
}

const stamp = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * @example
 * const internal = createUsersInternal({ queries, iterations: 600_000 });
 * await internal.request('/_internal/v1/users/1'); // {"user":{"id":1,"username":"alice",…}}
 */
export function createUsersInternal({ queries, iterations, hashSlots = LIBUV_DEFAULT_THREADS, now = () => new Date(), onChange }: UsersInternalOptions): InternalRoutes {
  const internal = internalRoutes();
  const hashing = createHashQueue({ slots: hashSlots });

  internal.openapi(
    createRoute({
      method: 'get',
      path: '/_internal/v1/users/by-username/{username}',
      request: { params: UsernameParam },
      responses: { 200: json(UserAnswer, 'the user'), 404: json(ErrorAnswer, 'no such user'), ...errors },
    }),
    (c) => {
      const { username } = c.req.valid('param');
      const user = queries.byUsername(username);
      if (!user) throw new InternalError('not_found', `user '${username}' does not exist`);
      return c.json({ user }, 200);
    },
  );

  internal.openapi(
    createRoute({
      method: 'get',
      path: '/_internal/v1/users/{id}',
      request: { params: IdParam },
      responses: { 200: json(UserAnswer, 'the user'), 404: json(ErrorAnswer, 'no such user'), ...errors },
    }),
    (c) => {
      const id = Number(c.req.valid('param').id);
      const user = queries.byId(id);
      if (!user) throw new InternalError('not_found', `user ${id} does not exist`);
      return c.json({ user }, 200);
    },
  );

  internal.openapi(
    createRoute({
      method: 'get',
      path: '/_internal/v1/users',
      request: { query: IdsQuery },
      responses: { 200: json(UsersAnswer, 'the users asked for, in that order; unknown ids left out'), ...errors },
    }),
    (c) => {
      const ids = c.req.valid('query').ids.split(',').map(Number);
      return c.json({ users: queries.byIds(ids) }, 200);
    },
  );

  internal.openapi(
    createRoute({
      method: 'post',
      path: '/_internal/v1/users/verify',
      request: { body: { content: { 'application/json': { schema: Credentials } }, required: true } },
      responses: { 200: json(MaybeUserAnswer, 'the user when the password matches, null otherwise'), ...errors, ...busy },
    }),
    async (c) => {
      const { username, password } = c.req.valid('json');
      const row = queries.passwordHash(username);
      if (!row) {
        await hashed(hashing, () => dummyVerify(password, iterations));
        return c.json({ user: null }, 200);
      }
      const matches = await hashed(hashing, () => verifyPassword(password, row.password_hash));
      return c.json({ user: matches ? (queries.byId(row.id) ?? null) : null }, 200);
    },
  );

  internal.openapi(
    createRoute({
      method: 'post',
      path: '/_internal/v1/users',
      request: { body: { content: { 'application/json': { schema: Registration } }, required: true } },
      responses: { 201: json(UserAnswer, 'the new user'), 409: json(ErrorAnswer, 'the username is taken'), ...errors, ...busy },
    }),
    async (c) => {
      const { username, password } = c.req.valid('json');
      if (queries.byUsername(username)) throw taken(username);
      const hash = await hashed(hashing, () => hashPassword(password, iterations));
      // Another registration may have taken the name while this one was hashing; the insert decides.
      const user = queries.insert(username, hash, stamp(now()));
      if (!user) throw taken(username);
      onChange?.([{ kind: 'user', user: user.id }]);
      return c.json({ user }, 201);
    },
  );

  return internal;
}

/** The work's result once the queue lets it run; a full queue becomes a 503 the caller can retry. */
async function hashed<T>(queue: HashQueue, work: () => Promise<T>): Promise<T> {
  try {
    return await queue.run(work);
  } catch (err) {
    if (!(err instanceof HashQueueFull)) throw err;
    throw new InternalError('unavailable', `${err.message}; nothing was done: retry after ${RETRY_AFTER_SECONDS} s`, { 'retry-after': RETRY_AFTER_SECONDS });
  }
}

const taken = (username: string): InternalError => new InternalError('conflict', `username '${username}' is taken; choose another`);
