/**
 * JSON pointers (RFC 6901) and the generalization that turns one pointer into its class: array indices
 * and id-like keys become `*`, so `/posts/3/title` and `/posts/417/title` are one class.
 */

/**
 * One pointer segment, escaped: `~` as `~0`, `/` as `~1` (RFC 6901 section 3).
 *
 * @example
 * escapeSegment('a/b~c'); // 'a~1b~0c'
 */
export function escapeSegment(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * A pointer's segments, unescaped; '' is the whole document.
 *
 * @example
 * parsePointer('/a~1b/0'); // ['a/b', '0']
 */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  // `~1` first decodes to `/`, and only then `~0` to `~`, so `~01` stays `~1` (RFC 6901 section 4).
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/**
 * What is wrong with an ignore rule's pointer, with the fix, or null when it is a valid RFC 6901 pointer
 * (for the route table's validator).
 *
 * @example
 * pointerProblem('posts/*\/views'); // 'a JSON pointer starts with "/" (or is "" for the whole body): write "/posts/*\/views"'
 * pointerProblem('/a~2b'); // '"~" must be followed by 0 (for "~") or 1 (for "/"): write "~0" for a literal "~"'
 */
export function pointerProblem(pointer: string): string | null {
  if (pointer !== '' && !pointer.startsWith('/')) return `a JSON pointer starts with "/" (or is "" for the whole body): write "/${pointer}"`;
  if (/~(?![01])/.test(pointer)) return '"~" must be followed by 0 (for "~") or 1 (for "/"): write "~0" for a literal "~"';
  return null;
}

/**
 * Segments back into a pointer.
 *
 * @example
 * formatPointer(['a/b', '0']); // '/a~1b/0'
 */
export function formatPointer(segments: readonly string[]): string {
  let out = '';
  for (const s of segments) out += '/' + escapeSegment(s);
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LONG_HEX = /^[0-9a-f]{12,}$/i;
const NUMBER = /^\d+$/;

/**
 * True for an object key that names one record rather than a field: digits, a UUID, a long hex string.
 *
 * @example
 * isIdLike('417'); // true
 * isIdLike('title'); // false
 */
export function isIdLike(key: string): boolean {
  return NUMBER.test(key) || UUID.test(key) || LONG_HEX.test(key);
}

/**
 * A segment as its class: array indices and id-like keys become `*`.
 *
 * @example
 * generalizeSegment('3', true); // '*'
 * generalizeSegment('title', false); // 'title'
 */
export function generalizeSegment(segment: string, isIndex: boolean): string {
  return isIndex || isIdLike(segment) ? '*' : segment;
}

/**
 * True when `pattern` (segments, `*` = any one segment) covers `path`: equal length or a prefix of it
 * (a rule on `/meta` hides `/meta/generated_at`). A `*` in `path` (a generalized class) is covered by any
 * segment, since some instance of the class may be the one the pattern names.
 *
 * @example
 * patternCovers(['posts', '*', 'views'], ['posts', '3', 'views']); // true
 * patternCovers(['posts', '*', 'views'], ['posts', '3']); // false
 */
export function patternCovers(pattern: readonly string[], path: readonly string[]): boolean {
  if (pattern.length > path.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p !== '*' && path[i] !== '*' && p !== path[i]) return false;
  }
  return true;
}
