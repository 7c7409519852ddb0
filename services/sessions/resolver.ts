/**
 * Whose session is this cookie? Legacy owns the sessions table and answers at
 * `POST /_internal/legacy/sessions/resolve`; the TS server asks it and keeps the answer for a few
 * seconds. Legacy tells the TS server about every logout (`DELETE /_internal/v1/sessions/<sha256>`), so
 * a logged-out cookie stops working on both sides at once; the short lifetime bounds the damage should
 * that message ever be lost.
 */
import { createHash } from 'node:crypto';
import type { InternalCaller } from '../../gateway/internal/index.ts';
import { cookieValue, SESSION_COOKIE } from '../forum-common/index.ts';

export interface Session {
  readonly user_id: number;
  readonly expires_at: string;
}

export interface SessionResolver {
  /** The live session this cookie value names, or null. Throws InternalCallError when legacy cannot answer. */
  resolve(token: string, requestId?: string): Promise<Session | null>;
  /** Drop what is cached for the session whose cookie value hashes to this sha256 hex. */
  forget(tokenSha256: string): boolean;
}

export interface SessionResolverOptions {
  readonly legacy: InternalCaller;
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  readonly now?: () => number;
}

export const RESOLVE_PATH = '/_internal/legacy/sessions/resolve';
const DEFAULT_TTL_MS = 5_000;
const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * The user of the live session a Cookie header names (through `resolver`, then `findUser` on the users
 * table), or null for no cookie, no session or no such user. Throws InternalCallError when legacy
 * cannot answer: each caller says so its own way (JSON 503, a 503 page).
 *
 * @example
 * const viewer = await sessionUser(sessions, c.req.header('cookie'), requestId, users.byId);
 */
export async function sessionUser<U>(resolver: SessionResolver, cookieHeader: string | undefined, requestId: string | undefined, findUser: (id: number) => U | undefined): Promise<U | null> {
  const token = cookieValue(cookieHeader, SESSION_COOKIE);
  if (!token) return null;
  const session = await resolver.resolve(token, requestId);
  return (session && findUser(session.user_id)) ?? null;
}

/** The sha256 hex of a cookie value: how both sides name a session without handling the secret itself. */
export const tokenSha256 = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * @example
 * const sessions = createSessionResolver({ legacy: createInternalCaller({ baseUrl, token }) });
 * await sessions.resolve(cookieValue); // { user_id: 1, expires_at: '…' } or null
 */
export function createSessionResolver({ legacy, ttlMs = DEFAULT_TTL_MS, maxEntries = DEFAULT_MAX_ENTRIES, now = Date.now }: SessionResolverOptions): SessionResolver {
  // Keyed by the hash, so the process never keeps cookie values it does not need.
  const cache = new Map<string, { session: Session | null; until: number }>();
  // A logout that lands while a resolve is in flight must not be undone by that resolve's answer.
  const forgottenAt = new Map<string, number>();

  return {
    async resolve(token, requestId) {
      const key = tokenSha256(token);
      const hit = cache.get(key);
      const startedAt = now();
      if (hit && hit.until > startedAt) return hit.session;
      const answer = await legacy.post<{ session: Session | null }>(RESOLVE_PATH, { token }, { requestId });
      const session = answer.session ?? null;
      if ((forgottenAt.get(key) ?? -Infinity) < startedAt) {
        if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
        cache.set(key, { session, until: startedAt + ttlMs });
      }
      return session;
    },
    forget(hash) {
      forgottenAt.set(hash, now());
      if (forgottenAt.size > maxEntries) forgottenAt.delete(forgottenAt.keys().next().value!);
      return cache.delete(hash);
    },
  };
}
