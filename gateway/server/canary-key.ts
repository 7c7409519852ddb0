/**
 * Who a request's user is, for a sticky canary bucket (./plan.ts `canaryBucket`): the app's session
 * cookie when the request carries one, else the client's address as the front door saw it (`X-Real-IP`,
 * which nginx and the edge overwrite, so a client cannot pick its side), else the socket's peer. The
 * key depends on nothing a process holds, so every TS worker and every restart gives a user the same
 * side. Signing in changes the key (address to session), so a user may change sides once, at login.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { cookieValue } from '../identity/index.ts';

/**
 * @example
 * canaryKey({ cookie: 'forum_session=4f2a' }, '127.0.0.1', 'forum_session'); // 'session:4f2a'
 * canaryKey({ 'x-real-ip': '203.0.113.9' }, '127.0.0.1', 'forum_session'); // 'client:203.0.113.9'
 */
export function canaryKey(headers: IncomingHttpHeaders, remoteAddress: string | undefined, cookieName: string | null): string | null {
  const session = cookieName === null ? undefined : cookieValue(headers.cookie, cookieName);
  if (session) return `session:${session}`;
  const realIp = headers['x-real-ip'];
  const client = (Array.isArray(realIp) ? realIp[0] : realIp)?.trim() || remoteAddress;
  return client ? `client:${client}` : null;
}
