/** The forum's cookies, read exactly as legacy reads them (forum/web.py parse_cookies). */

export const SESSION_COOKIE = 'forum_session';
export const CSRF_COOKIE = 'forum_csrf';

/**
 * The first value of a cookie in a Cookie header, trimmed of spaces and quotes; undefined when absent.
 *
 * @example
 * cookieValue('a=1; forum_session="abc"', 'forum_session'); // 'abc'
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const trimmed = part.trim();
    const eq = trimmed.indexOf('=');
    if (eq <= 0 || trimmed.slice(0, eq) !== name) continue;
    return trimmed.slice(eq + 1).trim().replace(/^"+|"+$/g, '');
  }
  return undefined;
}
