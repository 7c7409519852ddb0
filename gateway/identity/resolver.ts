/**
 * Whose session is this cookie? The legacy app owns its sessions and answers at its resolve path
 * (default `POST /_internal/legacy/sessions/resolve`, see docs/identity.md); the TS server asks it and
 * keeps the answer for a few seconds. Legacy tells the TS server about every logout
 * (`DELETE /_internal/v1/sessions/<sha256>`, see ./service.ts), so a logged-out cookie stops working on
 * both sides at once; the short lifetime bounds the damage should that message ever be lost.
 */
import { createHash } from 'node:crypto';
import { InternalCallError, type InternalCaller } from '../internal/index.ts';
import { cookieValue, isCookieName } from './cookies.ts';

/** What legacy's lookup returned for a live session: a JSON object of the app's choosing (the forum: `user_id`, `expires_at`). */
export type Identity = Readonly<Record<string, unknown>>;

export interface IdentityResolver<S extends object = Identity> {
  /** The name of the session cookie this resolver reads. */
  readonly cookieName: string;
  /** The live session this cookie value names, or null. Throws InternalCallError when legacy cannot answer. */
  resolve(token: string, requestId?: string): Promise<S | null>;
  /** The live session a request's Cookie header names (its first cookie of `cookieName`), or null when there is none. */
  identify(cookieHeader: string | undefined, requestId?: string): Promise<S | null>;
  /**
   * What {@link identify} would answer without asking legacy: the session, or null (no cookie, or legacy
   * said no session a moment ago); undefined when only legacy can say. For a caller that must not wait.
   */
  peek(cookieHeader: string | undefined): S | null | undefined;
  /** Drop what is cached for the session whose cookie value hashes to this sha256 hex. */
  forget(tokenSha256: string): boolean;
}

export interface IdentityResolverOptions {
  readonly legacy: InternalCaller;
  /** The app's session cookie, e.g. `session` (Flask), `sessionid` (Django). */
  readonly cookieName: string;
  /** Legacy's resolve endpoint. Must be under `/_internal/`, which no front door routes. */
  readonly resolvePath?: string;
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  readonly now?: () => number;
}

/** The resolve path of the contract (docs/identity.md) when an app does not choose another. */
export const DEFAULT_RESOLVE_PATH = '/_internal/legacy/sessions/resolve';
/** The longest cookie value sent to legacy; a longer one is no session (and is never sent). */
export const MAX_TOKEN_CHARS = 4096;
const DEFAULT_TTL_MS = 5_000;
const DEFAULT_MAX_ENTRIES = 10_000;

/** The sha256 hex of a cookie value: how both sides name a session without handling the secret itself. */
export const tokenSha256 = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * @example
 * const identity = createIdentityResolver({ legacy: createInternalCaller({ baseUrl, token }), cookieName: 'session' });
 * await identity.identify(c.req.header('cookie'), requestId); // { user_id: 1, … } or null
 */
export function createIdentityResolver<S extends object = Identity>(options: IdentityResolverOptions): IdentityResolver<S> {
  const { legacy, cookieName, resolvePath = DEFAULT_RESOLVE_PATH, ttlMs = DEFAULT_TTL_MS, maxEntries = DEFAULT_MAX_ENTRIES, now = Date.now } = options;
  checkOptions(cookieName, resolvePath);
  // Keyed by the hash, so the process never keeps cookie values it does not need.
  const cache = new Map<string, { session: S | null; until: number }>();
  // A logout that lands while a resolve is in flight must not be undone by that resolve's answer.
  const forgottenAt = new Map<string, number>();

  async function resolve(token: string, requestId?: string): Promise<S | null> {
    if (!token || token.length > MAX_TOKEN_CHARS) return null;
    const key = tokenSha256(token);
    const hit = cache.get(key);
    const startedAt = now();
    if (hit && hit.until > startedAt) return hit.session;
    const answer = await legacy.post<unknown>(resolvePath, { token }, { requestId });
    const session = sessionOf(answer, resolvePath) as S | null;
    if ((forgottenAt.get(key) ?? -Infinity) < startedAt) {
      cache.delete(key);
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
      cache.set(key, { session, until: startedAt + ttlMs });
    }
    return session;
  }

  return {
    cookieName,
    resolve,
    async identify(cookieHeader, requestId) {
      const token = cookieValue(cookieHeader, cookieName);
      return token ? resolve(token, requestId) : null;
    },
    peek(cookieHeader) {
      const token = cookieValue(cookieHeader, cookieName);
      if (!token || token.length > MAX_TOKEN_CHARS) return null;
      const hit = cache.get(tokenSha256(token));
      return hit && hit.until > now() ? hit.session : undefined;
    },
    forget(hash) {
      forgottenAt.delete(hash);
      forgottenAt.set(hash, now());
      if (forgottenAt.size > maxEntries) forgottenAt.delete(forgottenAt.keys().next().value!);
      return cache.delete(hash);
    },
  };
}

function checkOptions(cookieName: string, resolvePath: string): void {
  if (typeof cookieName !== 'string' || !isCookieName(cookieName)) {
    throw new TypeError(
      `identity: cookieName ${JSON.stringify(cookieName)} is not a cookie name; give the name of the app's session cookie, e.g. "session" (Flask) or "sessionid" (Django)`,
    );
  }
  if (typeof resolvePath !== 'string' || !/^\/_internal\/[!$&'()*+,;=:@\w.~/-]+$/.test(resolvePath)) {
    throw new TypeError(`identity: resolvePath ${JSON.stringify(resolvePath)} must be a path under /_internal/ (which no front door routes), e.g. "${DEFAULT_RESOLVE_PATH}"`);
  }
}

/** `{"session": object | null}` narrowed, or a bad_answer naming what legacy sent instead. */
function sessionOf(answer: unknown, resolvePath: string): Identity | null {
  const session = answer !== null && typeof answer === 'object' && 'session' in answer ? (answer as { session: unknown }).session : undefined;
  if (session === null) return null;
  if (session !== undefined && typeof session === 'object' && !Array.isArray(session)) return session as Identity;
  throw new InternalCallError(
    'bad_answer',
    `POST ${resolvePath} answered ${JSON.stringify(answer)?.slice(0, 200)}; the contract (docs/identity.md) is {"session": {...}} or {"session": null}`,
  );
}
