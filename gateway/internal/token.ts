/**
 * The shared secret of the internal endpoints: `STRANGLER_INTERNAL_TOKEN`, the same on both sides. It is
 * compared in constant time, and a token short enough to guess is refused before anything listens.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const TOKEN_VARIABLE = 'STRANGLER_INTERNAL_TOKEN';
export const MIN_TOKEN_BYTES = 32;

export type TokenCheck = { ok: true; token: string } | { ok: false; reason: string };

/**
 * The internal token from the environment, or why it cannot be used and how to make a good one.
 *
 * @example
 * const check = internalTokenFrom(process.env);
 * if (!check.ok) fail('refused', check.reason);
 */
export function internalTokenFrom(env: NodeJS.ProcessEnv): TokenCheck {
  const token = env[TOKEN_VARIABLE];
  const howTo = `set ${TOKEN_VARIABLE} to a random secret of at least ${MIN_TOKEN_BYTES} bytes, the same for the TS server and legacy (e.g. ${TOKEN_VARIABLE}=$(openssl rand -hex 32)); npm start makes one per run`;
  if (token === undefined || token === '') return { ok: false, reason: `${TOKEN_VARIABLE} is not set; ${howTo}` };
  const bytes = Buffer.byteLength(token);
  if (bytes < MIN_TOKEN_BYTES) return { ok: false, reason: `${TOKEN_VARIABLE} is ${bytes} bytes long, too short to be a secret; ${howTo}` };
  if (!/^[\x21-\x7e]+$/.test(token))
    return { ok: false, reason: `${TOKEN_VARIABLE} contains spaces or characters outside printable ASCII, which cannot travel in an Authorization header; ${howTo}` };
  return { ok: true, token };
}

/**
 * A constant-time check of a presented token against the expected one. Both are hashed first so that
 * neither the comparison nor an early length check reveals how long the secret is.
 *
 * @example
 * const matches = tokenMatcher(expected);
 * matches(presented); // true or false, in the same time either way
 */
export function tokenMatcher(expected: string): (presented: string | undefined) => boolean {
  const want = createHash('sha256').update(expected).digest();
  return (presented) => {
    const got = createHash('sha256')
      .update(presented ?? '')
      .digest();
    return timingSafeEqual(want, got) && presented !== undefined;
  };
}
