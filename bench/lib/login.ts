/**
 * A seeded user's session: one login on legacy, the way a browser gets its cookie. The seed gives every
 * user the password `<username>-password`. Shared by the benchmarks and the parity harness.
 */

export const SESSION_COOKIE = 'forum_session';

/**
 * The session cookie's value of a fresh login of `username` on legacy at `legacyUrl`.
 *
 * @example
 * const cookie = `${SESSION_COOKIE}=${await loginSession(legacy.url, 'alice')}`; // 'forum_session=kq3…'
 */
export async function loginSession(legacyUrl: string, username: string): Promise<string> {
  const res = await fetch(`${legacyUrl}/api/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: `${username}-password` }),
  });
  const session = res.headers
    .getSetCookie()
    .map((line) => new RegExp(`^${SESSION_COOKIE}=([^;]+)`).exec(line)?.[1])
    .find(Boolean);
  if (res.status !== 200 || session === undefined) throw new Error(`logging ${username} in on legacy failed (${res.status}): ${await res.text()}`);
  return session;
}

/** The Cookie header of a fresh session of `username`. */
export const sessionCookie = async (legacyUrl: string, username: string): Promise<string> => `${SESSION_COOKIE}=${await loginSession(legacyUrl, username)}`;
