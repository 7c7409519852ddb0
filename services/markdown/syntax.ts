/**
 * The grammar's patterns, spelled so that JavaScript matches exactly what Python's `re` matches in
 * `legacy-python/forum/markdown.py`. Every block pattern is anchored at both ends (Python `fullmatch`).
 *
 * @example
 * HEADING.exec('## Title  ')?.[2]; // 'Title'
 */

/**
 * Python's `\s` on `str` (the `str.isspace()` set). JavaScript's `\s` differs: it lacks U+001C–U+001F
 * and U+0085, and it adds U+FEFF, so `\S` is spelled from this set instead.
 */
const PYTHON_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PYTHON_NON_SPACE = `[^${PYTHON_SPACE}]`;
// Python's `.` is anything but "\n"; JavaScript's also refuses "\r", U+2028 and U+2029.
const PYTHON_ANY = '[^\\n]';

export const FENCE_OPEN = /^ {0,3}```([A-Za-z0-9_+-]*) *$/;
export const FENCE_CLOSE = /^ {0,3}``` *$/;
export const HEADING = new RegExp(`^ {0,3}(#{1,6}) +(${PYTHON_ANY}*${PYTHON_NON_SPACE}) *$`, 'u');
export const QUOTE = /^ {0,3}>/;
export const QUOTE_PREFIX = /^ {0,3}> ?/;
/** Groups: indent, marker (`-`, `+`, `*` or 1–9 digits and a dot), text. */
export const ITEM = new RegExp(`^( {0,3})([-+*]|[0-9]{1,9}\\.) +(${PYTHON_NON_SPACE}${PYTHON_ANY}*)$`, 'u');

/**
 * `<URL>` at a position (sticky). Python compiles it with `re.IGNORECASE`, which also folds ſ (U+017F)
 * to s, ı (U+0131) and İ (U+0130) to i, and K (U+212A) to k; JavaScript's `i` flag folds only some of
 * these, so the case variants are spelled out.
 */
export const AUTOLINK = /<((?:[hH][tT][tT][pP][sS\u017f]?:\/\/|[mM][aA][iI\u0130\u0131][lL][tT][oO]:)[A-Za-z0-9\-._~:/?#@!$&*+,;=%\u0130\u0131\u017f\u212a]+)>/uy;

/** Characters a backslash makes literal. */
export const ASCII_PUNCTUATION: ReadonlySet<string> = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** What `[text](URL)` accepts in its URL (ASCII only: no case folding applies here). */
export const URL_CHARS: ReadonlySet<string> = new Set('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#@!$&*+,;=%');

/** The schemes a link may use, compared in lower case. */
export const LINK_SCHEMES = ['http://', 'https://', 'mailto:'] as const;
