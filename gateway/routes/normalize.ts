/**
 * Request-target normalization, byte for byte as nginx 1.22 does it before it picks a location, so the
 * Node edge and nginx route every request the same way (test/front-door/differential.test.ts is the judge).
 *
 * - `path` is what locations are matched against: every %XX decoded (including %2F and %2E, which then act
 *   as '/' and '.'), dot segments resolved, repeated slashes merged, case kept. It is a byte string: one
 *   char per byte (latin1), so nothing is lost when the decoded bytes are not UTF-8.
 * - One deliberate difference from bare nginx, which the generated nginx config makes too: raw bytes
 *   outside ASCII in the target are refused (RFC 9112 allows only ASCII there, and Node's HTTP parser
 *   refuses them before the edge sees the request), so both front doors answer them with 400.
 * - `forwardPath` + `search` is what goes upstream. Usually the normalized path, as nginx sends it when
 *   `proxy_pass` carries a URI: re-escaped with ngx_escape_uri(NGX_ESCAPE_URI) when the client used any
 *   %-escape in it, else the bytes as normalized; `search` is '' when there is no query or it is empty,
 *   else '?' + raw args.
 * - But an escaped reserved character (`%2F`, `%5C`, `%3B`, `%40`, ...: RFC 3986 does not make it equal to
 *   the character) would be decoded that way, and `/repo/a%2Fb/files` would reach the app as
 *   `/repo/a/b/files`. So a target that has one goes upstream exactly as the client sent it, when that is
 *   unambiguous: no fragment or empty query, and no empty, `.` or `..` segment even with `%2F`, `%5C` and
 *   `\` read as separators (else it could name another path than the one routed). The generated nginx
 *   config does the same ({@link isForwardedRaw}'s rules as map regexes, `proxy_pass` without a URI).
 *
 * @example
 * normalizeTarget('/api/v1/%2E%2E/v1/threads//7?x=1');
 * // { ok: true, path: '/api/v1/threads/7', forwardPath: '/api/v1/threads/7', search: '?x=1', asSent: false }
 * normalizeTarget('/a/%00'); // { ok: false, status: 400, reason: '...' }
 */

export type NormalizedTarget =
  | {
      ok: true;
      path: string;
      forwardPath: string;
      search: string;
      /** Whether forwardPath + search is the target exactly as the client sent it (see {@link isForwardedRaw}). */
      asSent: boolean;
    }
  | { ok: false; status: 400; reason: string };

// Characters the parser copies without a second look (ngx_http_parse.c `usual`): everything except
// control characters, space, '#', '%', '.', '/', '?', and DEL. The rest take the state machine below.
const SLASH = 0x2f;
const DOT = 0x2e;
const PERCENT = 0x25;
const QUESTION = 0x3f;
const HASH = 0x23;

const enum State {
  Usual,
  Slash,
  Dot,
  DotDot,
  Quoted,
  QuotedSecond,
}

// absolute-form as nginx's request-line parser accepts it: scheme, '://', host of letters, digits, '.'
// and '-' (or an IPv6 literal), optional port digits, then '/', '?' or the end.
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]*)?(?=[/?]|$)/;

const bad = (reason: string): NormalizedTarget => ({ ok: false, status: 400, reason });

const isHex = (c: number): number => {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
};

/**
 * Normalize an origin-form (`/a/b?q`) or absolute-form (`http://host/a/b?q`) request target exactly as
 * nginx 1.22 does (ngx_http_parse_request_line + ngx_http_parse_complex_uri with merge_slashes on).
 *
 * @example
 * const target = normalizeTarget(req.url ?? '/');
 * if (!target.ok) return reply(400, target.reason);
 * const route = table.match(target.path);
 */
export function normalizeTarget(requestTarget: string): NormalizedTarget {
  for (let i = 0; i < requestTarget.length; i++) {
    const c = requestTarget.charCodeAt(i);
    // nginx 1.22 refuses spaces and control characters anywhere in the request line.
    if (c <= 0x20 || c === 0x7f) return bad('the request target contains a space or a control character');
    if (c > 0x7f) return bad('the request target contains a character outside ASCII; percent-encode it (é is %C3%A9)');
  }
  const bytes = Buffer.from(requestTarget, 'latin1');

  let start = 0;
  let emptyPath = false;
  if (bytes[0] !== SLASH) {
    const absolute = ABSOLUTE_FORM.exec(requestTarget);
    if (absolute === null) return bad("the request target must start with '/' or be an absolute http:// URL");
    if (!isValidHost(absolute[1]!)) return bad(`the host '${absolute[1]}' in the request target is not valid`);
    start = absolute[0].length;
    emptyPath = bytes[start] !== SLASH;
  }

  const out = new Uint8Array(bytes.length - start + 1);
  let u = 0;
  if (emptyPath) out[u++] = SLASH;
  let state: State = State.Usual;
  let quotedState: State = State.Usual;
  let quoted = false;
  let decoded = 0;
  let argsStart = -1;
  let p = start;

  // A port of ngx_http_parse_complex_uri: `ch` may be a decoded byte that is fed back into the state it
  // interrupted, which is why %2F and %2E act as '/' and '.'.
  let ch = bytes[p++] ?? -1;
  parse: while (ch !== -1) {
    switch (state) {
      case State.Usual:
        if (ch === SLASH) {
          state = State.Slash;
          out[u++] = ch;
        } else if (ch === PERCENT) {
          quotedState = state;
          state = State.Quoted;
        } else if (ch === QUESTION) {
          argsStart = p;
          break parse;
        } else if (ch === HASH) break parse;
        else out[u++] = ch;
        ch = bytes[p++] ?? -1;
        break;

      case State.Slash:
        if (ch === SLASH) {
          // merge_slashes on: drop it
        } else if (ch === DOT) {
          state = State.Dot;
          out[u++] = ch;
        } else if (ch === PERCENT) {
          quotedState = state;
          state = State.Quoted;
        } else if (ch === QUESTION) {
          argsStart = p;
          break parse;
        } else if (ch === HASH) break parse;
        else {
          state = State.Usual;
          out[u++] = ch;
        }
        ch = bytes[p++] ?? -1;
        break;

      case State.Dot:
        if (ch === SLASH) {
          state = State.Slash;
          u--;
        } else if (ch === DOT) {
          state = State.DotDot;
          out[u++] = ch;
        } else if (ch === PERCENT) {
          quotedState = state;
          state = State.Quoted;
        } else if (ch === QUESTION || ch === HASH) {
          u--;
          if (ch === QUESTION) argsStart = p;
          state = State.Usual;
          break parse;
        } else {
          state = State.Usual;
          out[u++] = ch;
        }
        ch = bytes[p++] ?? -1;
        break;

      case State.DotDot:
        if (ch === SLASH || ch === QUESTION || ch === HASH) {
          u = parentOf(out, u);
          if (u < 0) return bad("the path climbs above the root with '..'");
          if (ch !== SLASH) {
            if (ch === QUESTION) argsStart = p;
            state = State.Usual;
            break parse;
          }
          state = State.Slash;
        } else if (ch === PERCENT) {
          quotedState = state;
          state = State.Quoted;
        } else {
          state = State.Usual;
          out[u++] = ch;
        }
        ch = bytes[p++] ?? -1;
        break;

      case State.Quoted: {
        quoted = true;
        const digit = isHex(ch);
        if (digit < 0) return bad("the path has a '%' that is not followed by two hex digits");
        decoded = digit;
        state = State.QuotedSecond;
        ch = bytes[p++] ?? -1;
        break;
      }

      case State.QuotedSecond: {
        const digit = isHex(ch);
        if (digit < 0) return bad("the path has a '%' that is not followed by two hex digits");
        ch = (decoded << 4) + digit;
        if (ch === 0) return bad('the path contains %00');
        if (ch === PERCENT || ch === HASH || ch === QUESTION) {
          // Decoded '%', '#' and '?' are plain data, never syntax.
          state = State.Usual;
          out[u++] = ch;
          ch = bytes[p++] ?? -1;
        } else {
          state = quotedState;
        }
        break;
      }
    }
  }

  if (state === State.Quoted || state === State.QuotedSecond) return bad("the path ends in an incomplete '%' escape");
  if (state === State.Dot) u--;
  else if (state === State.DotDot) {
    u = parentOf(out, u);
    if (u < 0) return bad("the path climbs above the root with '..'");
  }

  const path = Buffer.from(out.buffer, out.byteOffset, u).toString('latin1');
  // nginx's $request_uri of an absolute-form target starts at its path, as this does.
  const raw = requestTarget.slice(start);
  if (isForwardedRaw(raw)) {
    const query = raw.indexOf('?');
    return query < 0
      ? { ok: true, path, forwardPath: raw, search: '', asSent: true }
      : { ok: true, path, forwardPath: raw.slice(0, query), search: raw.slice(query), asSent: true };
  }
  return { ok: true, path, forwardPath: quoted ? escapeUri(path) : path, search: argsOf(bytes, argsStart), asSent: false };
}

// Read on the raw target; the nginx template's $strangler_raw_target map has the same five regexes.
const SEPARATOR = String.raw`(?:/|%2[Ff]|%5[Cc]|\\)`;
const RAW_NOT_CLEAR = [
  /#/,
  // An empty query: http-proxy-3 would drop the '?', nginx would not.
  /^[^?]*\?$/,
  new RegExp(String.raw`^[^?]*${SEPARATOR}${SEPARATOR}`),
  new RegExp(String.raw`^[^?]*${SEPARATOR}(?:\.|%2[Ee]){1,2}(?:${SEPARATOR}|\?|$)`),
];
const RESERVED_ESCAPE = /^\/[^?]*%(?:2[146789ABCFabcf]|3[ABDabd]|40|5[BCDbcd])/;

/**
 * Whether a valid origin-form target (or the path and query of an absolute-form one, as nginx's
 * $request_uri has it) goes upstream as sent: it escapes a reserved character in its path, and no
 * segment is empty, `.` or `..` with `/`, `%2F`, `%5C` and `\` as separators.
 *
 * @example
 * isForwardedRaw('/repo/a%2Fb/files'); // true
 * isForwardedRaw('/repo/a%2F..%2Fb');  // false: forwarded as nginx normalizes it, /repo/b
 */
export function isForwardedRaw(requestTarget: string): boolean {
  return RESERVED_ESCAPE.test(requestTarget) && !RAW_NOT_CLEAR.some((pattern) => pattern.test(requestTarget));
}

/** After "…/seg/..": the output length that drops "seg/..", or -1 above the root (the `u -= 4` loop). */
function parentOf(out: Uint8Array, u: number): number {
  for (let i = u - 4; ; i--) {
    if (i < 0) return -1;
    if (out[i] === SLASH) return i + 1;
  }
}

/** The raw args up to a '#', as nginx forwards them; an empty query is dropped. */
function argsOf(bytes: Uint8Array, argsStart: number): string {
  if (argsStart < 0) return '';
  let end = bytes.indexOf(HASH, argsStart);
  if (end < 0) end = bytes.length;
  return end > argsStart ? `?${Buffer.from(bytes.buffer, bytes.byteOffset + argsStart, end - argsStart).toString('latin1')}` : '';
}

/** ngx_http_validate_host, the parts an absolute-form host can reach: no '..', not only dots. */
function isValidHost(host: string): boolean {
  if (host.startsWith('[')) return true;
  return !host.includes('..') && host.replace(/\.$/, '') !== '';
}

// ngx_escape_uri(NGX_ESCAPE_URI) since nginx 1.21.1: what RFC 3986 does not allow in a path (controls,
// space, '"', '<', '>', '\\', '^', '`', '{', '|', '}', bytes >= 0x7f) plus '#', '%' and '?'; uppercase hex.
const NOT_IN_PATH = new Set([...' "#%<>?\\^`{|}'].map((c) => c.charCodeAt(0)));
const ESCAPED = new Uint8Array(256).map((_, c) => (c < 0x20 || c >= 0x7f || NOT_IN_PATH.has(c) ? 1 : 0));
const HEX = '0123456789ABCDEF';

/**
 * Re-escape a normalized byte-string path as nginx does when it forwards it (NGX_ESCAPE_URI).
 *
 * @example
 * escapeUri('/a b/%/<é>'); // '/a%20b/%25/%3C%C3%A9%3E' when 'é' arrived as its two UTF-8 bytes
 */
export function escapeUri(path: string): string {
  let result = '';
  let from = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (ESCAPED[c & 0xff] === 0) continue;
    result += path.slice(from, i) + '%' + HEX[c >> 4] + HEX[c & 0xf];
    from = i + 1;
  }
  return from === 0 ? path : result + path.slice(from);
}

/**
 * Whether a normalized path is under /_internal in any letter case (also `/_internalX`, as nginx's
 * `location ~* ^/_internal` matches it). The front doors answer such paths with 404.
 *
 * @example
 * isInternalPath('/_INTERNAL/v1/x'); // true
 */
export function isInternalPath(path: string): boolean {
  return path.length >= 10 && path.charCodeAt(0) === SLASH && path.slice(1, 10).toLowerCase() === '_internal';
}
