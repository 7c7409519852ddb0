/**
 * Password hashes in the legacy format, so users made by either side log in on either side:
 * `pbkdf2_sha256$<iterations>$<salt>$<hash>`, salt 16 bytes and hash 32, urlsafe base64 without padding.
 * Hashing runs on libuv's thread pool, never on the event loop.
 */
import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const derive = promisify(pbkdf2);
const ALGORITHM = 'pbkdf2_sha256';
const DEFAULT_ITERATIONS = 600_000;
const SALT_BYTES = 16;
const HASH_BYTES = 32;

/**
 * FORUM_PBKDF2_ITERATIONS (the same variable legacy reads), default 600,000.
 *
 * @example
 * iterationsFrom({ FORUM_PBKDF2_ITERATIONS: '1000' }); // 1000
 */
export function iterationsFrom(env: NodeJS.ProcessEnv): number {
  const text = env.FORUM_PBKDF2_ITERATIONS ?? String(DEFAULT_ITERATIONS);
  if (!/^[0-9]+$/.test(text) || Number(text) < 1) throw new Error(`FORUM_PBKDF2_ITERATIONS must be a positive integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

const b64 = (bytes: Buffer): string => bytes.toString('base64url');

/**
 * @example
 * await hashPassword('alice-password', 600_000); // 'pbkdf2_sha256$600000$…$…'
 */
export async function hashPassword(password: string, iterations: number, salt: Buffer = randomBytes(SALT_BYTES)): Promise<string> {
  const digest = await derive(Buffer.from(password, 'utf8'), salt, iterations, HASH_BYTES, 'sha256');
  return `${ALGORITHM}$${iterations}$${b64(salt)}$${b64(digest)}`;
}

/**
 * True when the password matches the stored hash; a malformed stored value never matches.
 *
 * @example
 * await verifyPassword('alice-password', row.password_hash); // true
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 4 || parts[0] !== ALGORITHM || !/^[0-9]+$/.test(parts[1]!)) return false;
  const [, iterations, salt, expected] = parts as [string, string, string, string];
  const want = Buffer.from(expected, 'base64url');
  if (want.length === 0 || Number(iterations) < 1) return false;
  const digest = await derive(Buffer.from(password, 'utf8'), Buffer.from(salt, 'base64url'), Number(iterations), want.length, 'sha256');
  return timingSafeEqual(digest, want);
}

/** Spend one hash on an unknown username, so an answer takes as long whether or not the user exists. */
export async function dummyVerify(password: string, iterations: number): Promise<void> {
  await derive(Buffer.from(password, 'utf8'), Buffer.alloc(SALT_BYTES), iterations, HASH_BYTES, 'sha256');
}
