/**
 * Parameter rules of docs/forum-api.md: ids and pages are ASCII digits with no sign and no leading
 * zero, from 1 to 2^53 - 1; per_page is such a number up to a per-endpoint maximum.
 */
import { ApiError } from './responses.ts';

const POSITIVE_INTEGER = /^[1-9][0-9]{0,15}$/;

/**
 * The number `text` spells under the id rule, or null.
 *
 * @example
 * positiveInteger('42'); // 42
 * positiveInteger('042'); // null
 */
export function positiveInteger(text: string | undefined | null): number | null {
  if (text === undefined || text === null || !POSITIVE_INTEGER.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

/**
 * A path id, or a 400 naming the thing: `thread id must be a positive integer`.
 *
 * @example
 * parseId('7', 'thread'); // 7
 */
export function parseId(text: string, thing: string): number {
  const id = positiveInteger(text);
  if (id === null) throw new ApiError(400, 'bad_request', `${thing} id must be a positive integer`);
  return id;
}

/** `page` (default 1), or a 400. */
export function parsePage(text: string | null): number {
  if (text === null) return 1;
  const page = positiveInteger(text);
  if (page === null) throw new ApiError(400, 'bad_request', 'page must be a positive integer');
  return page;
}

/** `per_page` from 1 to `max` (default `fallback`), or a 400 that states the range. */
export function parsePerPage(text: string | null, fallback: number, max: number): number {
  if (text === null) return fallback;
  const perPage = positiveInteger(text);
  if (perPage === null || perPage > max) throw new ApiError(400, 'bad_request', `per_page must be an integer from 1 to ${max}`);
  return perPage;
}

/**
 * `page` and `per_page` of a request URL (`per_page` from 1 to `max`, default `fallback`), or the 400
 * (thrown) that legacy's parse_paging raises: page is checked first.
 *
 * @example
 * parsePaging('http://x/b/general?page=2', 20, 100); // { page: 2, perPage: 20 }
 */
export function parsePaging(url: string, fallback: number, max: number): { page: number; perPage: number } {
  const search = new URL(url).search;
  const page = parsePage(firstQueryValue(search, 'page'));
  return { page, perPage: parsePerPage(firstQueryValue(search, 'per_page'), fallback, max) };
}

/**
 * The first value of a query parameter, decoded as an HTML form would be (`+` is a space), or null when
 * it is absent. Repeated parameters: the first one counts.
 *
 * @example
 * firstQueryValue('?page=2&page=3', 'page'); // '2'
 */
export function firstQueryValue(search: string, name: string): string | null {
  // URLSearchParams decodes as a form does and leaves a malformed escape as sent, as legacy's
  // parse_qsl(keep_blank_values=True) does; the text then fails validation on its own.
  return new URLSearchParams(search).get(name);
}
