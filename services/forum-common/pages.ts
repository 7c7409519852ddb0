/**
 * The forum's answers for what no handler answers: the API's error JSON under `/api/`, the forum's HTML
 * error page everywhere else, with legacy's titles and messages.
 */
import type { Context } from 'hono';
import { loadErrorPage } from './error-page.ts';
import { ApiError, apiErrorResponse, noEndpoint, type ApiErrorCode } from './responses.ts';

const TITLES: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error', 503: 'Service Unavailable' };
const CODES: Record<number, ApiErrorCode> = { 400: 'bad_request', 404: 'not_found', 500: 'internal' };
// legacy-python/forum/app.py's wording, so that nobody can tell which side answered.
const PAGE_NOT_FOUND_MESSAGE = 'There is no page at this address.';
const INTERNAL_ERROR_MESSAGE = 'something went wrong on our side; try again later';

export interface ForumPages {
  /** For a path a service does not know. */
  notFound(c: Context): Response;
  /** For a malformed request target (400) or an unexpected error (500). */
  errorResponse(status: 400 | 404 | 500, message: string, path: string): Response;
  /** An HTML error page, with extra headers such as Allow. */
  htmlError(status: number, message: string, headers?: Readonly<Record<string, string>>): Response;
}

/**
 * Whether legacy treats the path as API (JSON errors) rather than a page (HTML errors).
 *
 * @example
 * isApiPath('/api/v1/boards'); // true
 * isApiPath('/apix'); // false
 */
export const isApiPath = (path: string): boolean => path === '/api' || path.startsWith('/api/');

/**
 * @example
 * const pages = createForumPages('legacy-python/forum/templates/error.html');
 * app.notFound(pages.notFound);
 */
export function createForumPages(templateFile: string): ForumPages {
  const render = loadErrorPage(templateFile);
  const htmlError = (status: number, message: string, headers: Readonly<Record<string, string>> = {}): Response => {
    const html = render({ status, title: TITLES[status] ?? 'Error', message });
    return new Response(html, {
      status,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(html)), ...headers },
    });
  };
  return {
    htmlError,
    notFound: (c) => (isApiPath(new URL(c.req.url).pathname) ? apiErrorResponse(noEndpoint()) : htmlError(404, PAGE_NOT_FOUND_MESSAGE)),
    errorResponse: (status, message, path) => {
      // A 500's own message may tell an attacker about the inside; the page says what legacy says.
      const text = status === 500 ? INTERNAL_ERROR_MESSAGE : message;
      return isApiPath(path) ? apiErrorResponse(new ApiError(status, CODES[status] ?? 'internal', text)) : htmlError(status, text);
    },
  };
}
