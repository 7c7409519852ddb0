/** Reading one cookie out of a Cookie header, the way the Python side's parsers do. */

// RFC 6265's cookie-name is an RFC 7230 token.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** True when `name` can be a cookie's name (an RFC 7230 token). */
export const isCookieName = (name: string): boolean => COOKIE_NAME.test(name);

/**
 * The first value of a cookie in a Cookie header, trimmed of spaces and quotes; undefined when absent.
 * The first wins, as in Python's usual parsers (a stale cookie of a wider path is sent after the newer one).
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
    return trimmed
      .slice(eq + 1)
      .trim()
      .replace(/^"+|"+$/g, '');
  }
  return undefined;
}
