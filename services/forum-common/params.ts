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
 * it is absent. Repeated parameters: the first one counts. Reading any parameter checks them all, as
 * legacy does: a 400 names the first one that is not text the forum can store (see {@link checkQueryText}).
 *
 * @example
 * firstQueryValue('?page=2&page=3', 'page'); // '2'
 */
export function firstQueryValue(search: string, name: string): string | null {
  checkQueryText(search);
  // URLSearchParams decodes as a form does and leaves a malformed escape as sent, as legacy's
  // parse_qsl(keep_blank_values=True) does; the text then fails validation on its own.
  return new URLSearchParams(search).get(name);
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const ESCAPE = /%([0-9A-Fa-f]{2})/y;

/**
 * A 400 for the first name or value of the query that, once decoded, is not valid UTF-8 or holds a NUL:
 * URLSearchParams would turn the one into U+FFFD and keep the other, and neither is stored faithfully.
 * The message names the parameter as sent, the same words as legacy's (forum/web.py text_pairs).
 *
 * @example
 * checkQueryText('?page=%FF'); // throws 400 "query parameter 'page' is not valid UTF-8 text; encode it as UTF-8"
 */
export function checkQueryText(search: string): void {
  for (const piece of search.replace(/^\?/, '').split('&')) {
    if (piece === '') continue;
    const cut = piece.indexOf('=');
    const rawName = cut === -1 ? piece : piece.slice(0, cut);
    for (const part of cut === -1 ? [piece] : [rawName, piece.slice(cut + 1)]) {
      const text = decodeFormText(part);
      if (text === null) throw new ApiError(400, 'bad_request', `query parameter '${rawName}' is not valid UTF-8 text; encode it as UTF-8`);
      if (text.includes('\0')) throw new ApiError(400, 'bad_request', `query parameter '${rawName}' contains a NUL character (%00); remove it`);
    }
  }
}

/** `+` as a space and each well-formed %XX as its byte, decoded as strict UTF-8; null when that fails. */
function decodeFormText(part: string): string | null {
  const bytes: number[] = [];
  const text = part.replaceAll('+', ' ');
  for (let i = 0; i < text.length;) {
    ESCAPE.lastIndex = i;
    const escape = ESCAPE.exec(text);
    if (escape) {
      bytes.push(parseInt(escape[1]!, 16));
      i += 3;
      continue;
    }
    const codePoint = text.codePointAt(i)!;
    const char = String.fromCodePoint(codePoint);
    bytes.push(...Buffer.from(char, 'utf8'));
    i += char.length;
  }
  try {
    return STRICT_UTF8.decode(Uint8Array.from(bytes));
  } catch {
    return null;
  }
}
