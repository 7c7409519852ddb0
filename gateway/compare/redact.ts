/**
 * Secrets out of what is kept as a sample: header values, query parameters and JSON fields that carry
 * credentials become `[redacted]`. Cookie names are kept (which cookie was sent is worth seeing), their
 * values are not; an Authorization header keeps its scheme (`Bearer [redacted]`).
 */
import type { Captured } from './types.ts';

export const REDACTED = '[redacted]';

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key']);
const SECRET_HEADER_WORDS = ['token', 'secret', 'password', 'api-key', 'apikey'];
const SECRET_QUERY_WORDS = ['token', 'password', 'secret', 'key', 'session', 'auth'];
const SECRET_FIELD_WORDS = ['password', 'token', 'secret', 'session', 'csrf'];

/**
 * True for a header whose value is a secret (or holds secrets, as Cookie does).
 *
 * @example
 * isSecretHeader('X-CSRF-Token'); // true
 * isSecretHeader('Accept'); // false
 */
export function isSecretHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_HEADERS.has(lower) || SECRET_HEADER_WORDS.some((w) => lower.includes(w));
}

/**
 * Headers with secret values redacted; names are lower-cased.
 *
 * @example
 * redactHeaders({ Cookie: 'session=abc; theme=dark', Authorization: 'Bearer xyz', Accept: '*\/*' });
 * // { cookie: 'session=[redacted]; theme=[redacted]', authorization: 'Bearer [redacted]', accept: '*\/*' }
 */
export function redactHeaders(headers: Readonly<Record<string, string | readonly string[] | null | undefined>>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [rawName, raw] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (raw === undefined || raw === null) {
      out[name] = null;
      continue;
    }
    const value = typeof raw === 'string' ? raw : raw.join(name === 'set-cookie' ? '\n' : ', ');
    out[name] = redactHeaderValue(name, value);
  }
  return out;
}

function redactHeaderValue(name: string, value: string): string {
  if (name === 'cookie')
    return value
      .split(';')
      .map((pair) => cookieName(pair) + '=' + REDACTED)
      .join('; ');
  if (name === 'set-cookie') {
    // One header may hold several cookies joined with ', ' (or '\n'); a comma inside Expires is not a split.
    return value
      .split(/\n|,\s*(?=[^;=\s,]+=)/)
      .map((cookie) => {
        const [first = '', ...attributes] = cookie.split(';');
        return [cookieName(first) + '=' + REDACTED, ...attributes.map((a) => a.trim())].join('; ');
      })
      .join(', ');
  }
  if (name === 'authorization' || name === 'proxy-authorization') {
    const scheme = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s+\S/.exec(value);
    return scheme ? `${scheme[1]} ${REDACTED}` : REDACTED;
  }
  return isSecretHeader(name) ? REDACTED : value;
}

function cookieName(pair: string): string {
  const eq = pair.indexOf('=');
  return (eq === -1 ? pair : pair.slice(0, eq)).trim();
}

/**
 * A request target with secret query parameter values redacted; everything else kept byte for byte.
 *
 * @example
 * redactTarget('/login?next=%2F&api_key=k1&resetToken=t'); // '/login?next=%2F&api_key=[redacted]&resetToken=[redacted]'
 */
export function redactTarget(pathAndQuery: string): string {
  const q = pathAndQuery.indexOf('?');
  if (q === -1) return pathAndQuery;
  return pathAndQuery.slice(0, q + 1) + redactPairs(pathAndQuery.slice(q + 1), SECRET_QUERY_WORDS);
}

function redactPairs(query: string, words: readonly string[]): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq === -1 ? pair : pair.slice(0, eq);
      let name: string;
      try {
        name = decodeURIComponent(rawName.replaceAll('+', ' ')).toLowerCase();
      } catch {
        name = rawName.toLowerCase();
      }
      return words.some((w) => name.includes(w)) ? `${rawName}=${REDACTED}` : pair;
    })
    .join('&');
}

/**
 * A JSON body with the values of fields named like password, token, secret, session or csrf redacted, at
 * any depth. Text that is not JSON comes back as it was.
 *
 * @example
 * redactJsonBody('{"user":"ann","password":"p","auth":{"csrf_token":"c"}}');
 * // '{"user":"ann","password":"[redacted]","auth":{"csrf_token":"[redacted]"}}'
 */
export function redactJsonBody(body: string): string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return body;
  }
  const stack: unknown[] = [value];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node === null || typeof node !== 'object') continue;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!Array.isArray(node) && isSecretField(key)) record[key] = REDACTED;
      else stack.push(record[key]);
    }
  }
  return JSON.stringify(value);
}

function isSecretField(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_FIELD_WORDS.some((w) => lower.includes(w));
}

/** Characters of a body kept in a sample. */
export const SAMPLE_BODY_CHARS = 4096;

/**
 * A body redacted by its content type: JSON fields, form fields (`a=1&password=x`), and in HTML the
 * value of an input whose name is secret-like (a CSRF token in a form); other bodies as text. Cut to
 * SAMPLE_BODY_CHARS after redaction, so a secret cannot survive by being cut.
 *
 * @example
 * redactBody('application/x-www-form-urlencoded', Buffer.from('user=a&password=b')); // 'user=a&password=[redacted]'
 */
export function redactBody(contentType: string | null, body: Buffer | string): string {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  let out = text;
  if (media === 'application/json' || media.endsWith('+json')) out = redactJsonBody(text);
  else if (media === 'application/x-www-form-urlencoded') out = redactPairs(text, SECRET_FIELD_WORDS.concat(SECRET_QUERY_WORDS));
  else if (media === 'text/html' || media === 'application/xhtml+xml') out = redactHtmlInputs(text);
  return out.length > SAMPLE_BODY_CHARS ? out.slice(0, SAMPLE_BODY_CHARS) : out;
}

// A tag that carries a secret-like name attribute (an input or meta of a form's CSRF token): its value and
// content attributes are replaced. Bounded quantifiers keep this linear.
const SECRET_TAG = /<(?:input|meta)\b[^<>]{0,2000}>/gi;
const VALUE_ATTR = /(\s(?:value|content)\s*=\s*)("[^"]*"|'[^']*'|[^\s>]+)/gi;
const NAME_ATTR = /\s(?:name|id)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/i;

function redactHtmlInputs(html: string): string {
  return html.replace(SECRET_TAG, (tag) => {
    const name = NAME_ATTR.exec(tag)?.[1]?.replace(/^["']|["']$/g, '') ?? '';
    return isSecretField(name) ? tag.replace(VALUE_ATTR, `$1"${REDACTED}"`) : tag;
  });
}

/**
 * A request as kept in a sample: target and headers redacted.
 *
 * @example
 * redactRequest({ method: 'GET', target: '/a?token=t', headers: { cookie: 'session=s' } });
 * // { method: 'GET', target: '/a?token=[redacted]', headers: { cookie: 'session=[redacted]' } }
 */
export function redactRequest(request: { method: string; target: string; headers: Readonly<Record<string, string | readonly string[] | null | undefined>> }): {
  method: string;
  target: string;
  headers: Record<string, string | null>;
} {
  return { method: request.method, target: redactTarget(request.target), headers: redactHeaders(request.headers) };
}

/**
 * A captured answer as kept in a sample: headers and body redacted, body cut to SAMPLE_BODY_CHARS.
 *
 * @example
 * redactResponse(captured); // { status: 200, headers: { 'set-cookie': 'session=[redacted]; Path=/' }, body: '...' }
 */
export function redactResponse(answer: Captured): { status: number; headers: Record<string, string | null>; body: string } {
  return { status: answer.status, headers: redactHeaders(answer.headers), body: redactBody(answer.contentType, answer.body) };
}

/**
 * The first header that still carries a secret value, or null: a store's last check before it keeps a sample.
 *
 * @example
 * carriesSecret({ cookie: 'session=abc' }); // 'cookie'
 * carriesSecret(redactHeaders({ cookie: 'session=abc' })); // null
 */
export function carriesSecret(headers: Readonly<Record<string, string | null>>): string | null {
  for (const [name, value] of Object.entries(headers)) {
    if (value !== null && isSecretHeader(name) && redactHeaderValue(name.toLowerCase(), value) !== value) return name;
  }
  return null;
}
