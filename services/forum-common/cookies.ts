/** The forum's cookies, read exactly as legacy reads them (forum/web.py parse_cookies). */

export const SESSION_COOKIE = 'forum_session';
export const CSRF_COOKIE = 'forum_csrf';

/** Read as legacy reads them (forum/web.py parse_cookies): the first of a name wins, quotes trimmed. */
export { cookieValue } from '../../gateway/identity/index.ts';
