/**
 * The forum's sessions through the gateway's identity resolver: legacy's lookup answers
 * `{ user_id, expires_at }` for a live session (legacy-python/forum/internal_api.py).
 */
import { createIdentityResolver, type IdentityResolver, type IdentityResolverOptions } from '../../gateway/identity/index.ts';
import { SESSION_COOKIE } from '../forum-common/index.ts';

export interface Session {
  readonly user_id: number;
  readonly expires_at: string;
}

export type SessionResolver = IdentityResolver<Session>;

/** The gateway's options; `cookieName` is the forum's own unless the composition passes another. */
export type SessionResolverOptions = Omit<IdentityResolverOptions, 'cookieName'> & { readonly cookieName?: string };

/**
 * @example
 * const sessions = createSessionResolver({ legacy: createInternalCaller({ baseUrl, token }), cookieName: 'forum_session' });
 */
export const createSessionResolver = ({ cookieName = SESSION_COOKIE, ...options }: SessionResolverOptions): SessionResolver =>
  createIdentityResolver<Session>({ cookieName, ...options });

/**
 * The user of the live session a Cookie header names (through `resolver`, then `findUser` on the users
 * table), or null for no cookie, no session or no such user. Throws InternalCallError when legacy
 * cannot answer: each caller says so its own way (JSON 503, a 503 page).
 *
 * @example
 * const viewer = await sessionUser(sessions, c.req.header('cookie'), requestId, users.byId);
 */
export async function sessionUser<U>(
  resolver: SessionResolver,
  cookieHeader: string | undefined,
  requestId: string | undefined,
  findUser: (id: number) => U | undefined,
): Promise<U | null> {
  const session = await resolver.identify(cookieHeader, requestId);
  return (session && findUser(session.user_id)) ?? null;
}
