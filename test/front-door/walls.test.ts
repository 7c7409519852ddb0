/**
 * The walls: nothing a client sends reaches an internal endpoint or passes for the gateway's own identity
 * headers, through either front door (the Node edge always, nginx when it is installed). Every attempt
 * is data with a name and goes over a raw socket byte for byte; two echo backends record what reached
 * them, and no backend may have received a path it would read as /_internal or a forged header. The
 * attempts run once more against the real stack (legacy Python, TS server, front door).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoedRequest } from '../helpers/echo-backend.ts';
import { startEchoFrontDoor, type EchoFrontDoor } from '../helpers/echo-front-door.ts';
import { parseResponses, sendRaw } from '../helpers/raw-http.ts';
import { NGINX, startStack, type FrontDoorKind, type Stack } from '../helpers/stack.ts';

const FRONT_DOORS: FrontDoorKind[] = NGINX.ok ? ['edge', 'nginx'] : ['edge'];

// As in the repository's routes.yaml: legacy by default (the helper adds that route), two paths moved to TS.
const ROUTES = `  - { path: /api/v1/boards, exact: true, mode: next, handler: boards, methods: [GET] }
  - { path: /api/v1/threads, mode: next, handler: threads, methods: [GET] }
`;

// ---- what a backend would make of what it received ------------------------------------------------

/**
 * A received target as a lenient backend reads it: the path percent-decoded once, '\' taken as '/',
 * dot segments resolved, repeated slashes merged, letter case ignored.
 */
function pathAsBackendReadsIt(target: string): string {
  const path = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split(/[?#]/)[0]!;
  const decoded = path.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  const segments: string[] = [];
  for (const segment of decoded.replaceAll('\\', '/').split('/')) {
    if (segment === '..') segments.pop();
    else if (segment !== '' && segment !== '.') segments.push(segment);
  }
  return `/${segments.join('/')}`.toLowerCase();
}

const isUnderInternal = (target: string): boolean => pathAsBackendReadsIt(target).startsWith('/_internal');

/** WSGI and CGI servers read `X_User_Id` as `X-User-Id`: names are compared with '_' as '-'. */
const asBackendName = (name: string): string => name.replaceAll('_', '-').toLowerCase();

const isForgedIdentity = (name: string): boolean => {
  const key = asBackendName(name);
  return key === 'x-user' || key === 'x-strangler' || key.startsWith('x-user-') || key.startsWith('x-strangler-');
};

const PATH_OVERRIDES = new Set(['x-original-url', 'x-rewrite-url']);

/** What should never have reached a backend in `request`, one line each; empty when it is clean. */
function breaches(request: EchoedRequest): string[] {
  const found: string[] = [];
  const where = `${request.backend} got ${request.method} ${request.url}`;
  if (isUnderInternal(request.url)) found.push(`${where}: a path under /_internal`);
  const fields = [...request.rawHeaders, ...Object.entries(request.trailers).flat()];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [name, value] = [fields[i]!, fields[i + 1] ?? ''];
    if (isForgedIdentity(name)) found.push(`${where}: the forged header ${name}: ${value}`);
    if (PATH_OVERRIDES.has(asBackendName(name)) && isUnderInternal(value)) found.push(`${where}: ${name}: ${value}`);
  }
  return found;
}

// ---- attempts to reach /_internal ----------------------------------------------------------------

/**
 * 404 (the default): the front door refuses it as internal. 400: both front doors refuse it as malformed
 * HTTP. 405: CONNECT, which neither serves. `forwarded`: both pass it on because no backend reads it as
 * /_internal (the echo answers 200; on the real stack legacy answers its own 404).
 */
type Expected = 400 | 404 | 405 | 'forwarded';

interface Attempt {
  readonly name: string;
  /** The exact bytes; the last request asks to close the connection. */
  readonly request: string;
  readonly expect?: Expected;
}

interface RequestOptions {
  readonly method?: string;
  readonly version?: string;
  /** Header lines, each ending in CRLF; the Host line comes first unless `host` is null. */
  readonly headers?: string;
  readonly host?: string | null;
  readonly body?: string;
  readonly close?: boolean;
}

/** One request's bytes: request line, Host, `headers`, Content-Length for a body that is not chunked, Connection: close. */
function http(target: string, { method = 'GET', version = 'HTTP/1.1', headers = '', host = 'front.test', body = '', close = true }: RequestOptions = {}): string {
  const length = body && !/^transfer-encoding:/im.test(headers) ? `Content-Length: ${body.length}\r\n` : '';
  return `${method} ${target} ${version}\r\n${host === null ? '' : `Host: ${host}\r\n`}${headers}${length}${close ? 'Connection: close\r\n' : ''}\r\n${body}`;
}

/** `text` as one chunk and the last chunk, with `trailer` lines after it. */
const chunked = (text: string, trailer = ''): string => `${text.length.toString(16)}\r\n${text}\r\n0\r\n${trailer}\r\n`;

const USER = '/_internal/v1/users/1';
const SESSIONS = '/_internal/legacy/sessions/resolve';
const OPENAPI = '/_internal/openapi.json';
/** Paths neither side has: forwarded attempts land there, so the real stack answers its own 404. */
const NOWHERE = '/no-such-page';
const TS_NOWHERE = '/api/v1/threads/999999';

const WORD = '_internal';
const hexOf = (char: string, lower: boolean): string => {
  const hex = `%${char.charCodeAt(0).toString(16).toUpperCase()}`;
  return lower ? hex.toLowerCase() : hex;
};
/** `_internal` with the character at `index` percent-encoded. */
const encodeOne = (index: number, lower: boolean): string => WORD.slice(0, index) + hexOf(WORD[index]!, lower) + WORD.slice(index + 1);
const encodeAll = (lower: boolean): string => [...WORD].map((char) => hexOf(char, lower)).join('');

const PERCENT_ENCODED: Attempt[] = [...WORD].flatMap((char, index) => {
  const upper = encodeOne(index, false);
  const lower = encodeOne(index, true);
  return [
    { name: `'${char}' (character ${index + 1}) as upper-hex %XX`, request: http(`/${upper}/v1/users/1`) },
    ...(lower === upper ? [] : [{ name: `'${char}' (character ${index + 1}) as lower-hex %xx`, request: http(`/${lower}/v1/users/1`) }]),
  ];
});

const ATTEMPTS: readonly Attempt[] = [
  { name: 'the user endpoint as is', request: http(USER) },
  { name: "legacy's session resolver as is", request: http(SESSIONS) },
  { name: 'the OpenAPI document as is', request: http(OPENAPI) },
  { name: 'the bare prefix', request: http('/_internal') },
  { name: 'the prefix with a trailing slash', request: http('/_internal/') },

  ...PERCENT_ENCODED,
  { name: 'every character encoded, upper hex', request: http(`/${encodeAll(false)}/openapi.json`) },
  { name: 'every character encoded, lower hex', request: http(`/${encodeAll(true)}/legacy/sessions/resolve`) },

  { name: "double-encoded '_' (%255F): decoded once it is %5F", request: http('/%255Finternal/v1/users/1'), expect: 'forwarded' },
  { name: "double-encoded '_' in lower hex (%255f)", request: http('/%255finternal/legacy/sessions/resolve'), expect: 'forwarded' },
  { name: "double-encoded '/' after the prefix (%252F)", request: http('/_internal%252Fv1%252Fusers%252F1') },
  { name: "double-encoded '/' before the prefix (%252F)", request: http('/%252F_internal/v1/users/1'), expect: 'forwarded' },
  { name: "'%' encoded, then '5F' encoded (%25%35%46)", request: http('/%25%35%46internal/v1/users/1'), expect: 'forwarded' },
  { name: 'double-encoded dot-dot (%252e%252e)', request: http('/a/%252e%252e/_internal/v1/users/1'), expect: 'forwarded' },

  { name: 'upper case', request: http('/_INTERNAL/V1/USERS/1') },
  { name: 'mixed case', request: http('/_iNtErNaL/v1/users/1') },
  { name: 'capitalized', request: http('/_Internal/openapi.json') },
  { name: 'encoded underscore, upper-case rest', request: http('/%5FINTERNAL/LEGACY/SESSIONS/RESOLVE') },

  { name: 'a dot-dot segment', request: http('/a/../_internal/v1/users/1') },
  { name: 'a dot segment', request: http('/./_internal/v1/users/1') },
  { name: 'two dot-dot segments', request: http('/a/b/../../_internal/openapi.json') },
  { name: 'a dot-dot segment encoded, upper hex', request: http('/a/%2E%2E/_internal/v1/users/1') },
  { name: 'a dot-dot segment encoded, lower hex', request: http('/a/%2e%2e/_internal/v1/users/1') },
  { name: 'dot-dot then an encoded slash (..%2f)', request: http('/a/..%2f_internal/v1/users/1') },
  { name: 'dot-dot then an encoded slash (..%2F) from a TS route', request: http('/api/v1/threads/..%2F..%2F..%2F_internal/v1/users/1') },
  { name: 'half-encoded dot-dot (.%2e)', request: http('/a/.%2e/_internal/v1/users/1') },
  { name: 'an encoded dot segment', request: http('/%2e/_internal/v1/users/1') },
  { name: 'climbing out of a TS route', request: http('/api/v1/threads/../../../_internal/v1/users/1') },
  { name: 'out of /_internal and back in', request: http('/_internal/v1/../../_internal/openapi.json') },
  { name: 'climbing above the root', request: http('/../_internal/v1/users/1'), expect: 400 },
  { name: 'climbing above the root, encoded', request: http('/%2e%2e/_internal/v1/users/1'), expect: 400 },
  { name: 'climbing above the root, half encoded', request: http('/.%2e/_internal/v1/users/1'), expect: 400 },

  { name: 'a doubled leading slash', request: http('//_internal/v1/users/1') },
  { name: 'tripled and doubled slashes', request: http('///_internal//v1') },
  { name: 'doubled slashes everywhere', request: http('//_internal//v1//users//1') },
  { name: 'an encoded leading slash', request: http('/%2F_internal/v1/users/1') },
  { name: 'two encoded leading slashes', request: http('/%2F%2F_internal/openapi.json') },
  { name: 'encoded slashes after the prefix', request: http('/_internal%2Fv1%2Fusers%2F1') },

  { name: "a ';' parameter on the prefix", request: http('/_internal;x/v1/users/1') },
  { name: "a ';jsessionid' parameter", request: http('/_internal;jsessionid=1/legacy/sessions/resolve') },
  { name: "a ';' segment first (read as data, not a parameter)", request: http('/;/_internal/v1/users/1'), expect: 'forwarded' },
  { name: "';/..' then back into /_internal", request: http('/_internal;/../_internal/v1/users/1') },
  { name: "'..;' (Tomcat's dot-dot) before the prefix", request: http('/..;/_internal/v1/users/1'), expect: 'forwarded' },
  { name: "'..;' after the prefix", request: http('/_internal;/..;/v1/users/1') },

  { name: 'absolute form, loopback', request: http(`http://127.0.0.1${USER}`) },
  { name: "absolute form, the internal listener's port", request: http(`http://127.0.0.1:8082${USER}`) },
  { name: 'absolute form, localhost', request: http(`http://localhost:8082${OPENAPI}`) },
  { name: "absolute form, host 'internal'", request: http(`http://internal${SESSIONS}`) },
  { name: 'absolute form, https scheme', request: http(`https://127.0.0.1:8082${USER}`) },
  { name: 'absolute form, upper-case scheme and encoded underscore', request: http('HTTP://127.0.0.1/%5Finternal/v1/users/1') },
  { name: 'absolute form, IPv6 loopback', request: http(`http://[::1]:8082${USER}`) },
  { name: 'absolute form with a dot-dot segment', request: http('http://front.test/a/../_internal/v1/users/1') },
  { name: 'absolute form with a doubled slash', request: http('http://front.test//_internal/v1/users/1') },
  { name: 'absolute form with userinfo', request: http(`http://admin@127.0.0.1${USER}`), expect: 400 },

  { name: 'Host of the internal listener', request: http(USER, { host: '127.0.0.1:8082' }) },
  { name: 'Host localhost', request: http(USER, { host: 'localhost' }) },
  { name: "Host 'internal'", request: http(SESSIONS, { host: 'internal' }) },
  { name: 'Host of the IPv6 loopback', request: http(USER, { host: '[::1]:8082' }) },
  { name: 'absolute form and Host both naming the internal listener', request: http(`http://127.0.0.1:8082${USER}`, { host: '127.0.0.1:8082' }) },
  { name: 'two Host lines', request: http(USER, { headers: 'Host: 127.0.0.1:8082\r\n' }), expect: 400 },
  { name: 'HTTP/1.1 without Host', request: http(USER, { host: null }), expect: 400 },

  { name: 'a backslash after the first slash', request: http('/\\_internal/v1/users/1') },
  { name: 'an encoded backslash (%5C)', request: http('/%5C_internal/v1/users/1') },
  { name: 'an encoded backslash in lower hex (%5c)', request: http('/%5c_internal/openapi.json') },
  { name: 'backslash dot-dot backslash', request: http('/a\\..\\_internal/v1/users/1') },
  { name: 'slash, backslash, slash', request: http('/\\/_internal/v1/users/1') },
  { name: 'a backslash instead of the first slash', request: http('\\_internal/v1/users/1'), expect: 400 },

  { name: "overlong UTF-8 '/' (%C0%AF)", request: http('/%C0%AF_internal/v1/users/1'), expect: 'forwarded' },
  { name: "overlong UTF-8 '/' after dot-dot", request: http('/a/..%C0%AF_internal/v1/users/1'), expect: 'forwarded' },
  { name: "three-byte overlong '/' (%E0%80%AF)", request: http('/%E0%80%AF_internal/v1/users/1'), expect: 'forwarded' },
  { name: 'overlong UTF-8 dot-dot (%C0%AE%C0%AE/)', request: http('/a/%C0%AE%C0%AE/_internal/v1/users/1'), expect: 'forwarded' },
  { name: "overlong '/' after the prefix", request: http('/_internal%C0%AFv1/users/1') },

  { name: '%00 after the prefix', request: http('/_internal%00/v1/users/1'), expect: 400 },
  { name: '%00 before the prefix', request: http('/%00/_internal/v1/users/1'), expect: 400 },
  { name: 'a raw NUL byte', request: http('/_internal\x00/v1/users/1'), expect: 400 },
  { name: 'a raw control character', request: http('/\x01_internal/v1/users/1'), expect: 400 },
  { name: 'a raw tab', request: http('/_internal\t/v1/users/1'), expect: 400 },
  { name: 'an encoded tab after the prefix', request: http('/_internal%09/v1/users/1') },
  { name: 'an encoded tab before the prefix', request: http('/%09_internal/v1/users/1'), expect: 'forwarded' },
  { name: 'an encoded CRLF and header after the prefix', request: http('/_internal%0d%0aX-User-Id:%201') },

  { name: 'a fragment', request: http(`${USER}#top`) },
  { name: 'a fragment hiding the climb', request: http(`${NOWHERE}#/../_internal/v1/users/1`), expect: 'forwarded' },
  { name: "an encoded '#' is data, so the climb counts", request: http('/%23/../_internal/v1/users/1') },
  { name: "'?' before the climb: the rest is the query", request: http(`${NOWHERE}?/../_internal/v1/users/1`), expect: 'forwarded' },
  { name: "an encoded '?' is data, so the climb counts", request: http('/%3F/../_internal/v1/users/1') },
  { name: 'a query on the prefix', request: http(`${USER}?token=x`) },

  { name: 'a trailing dot on the prefix', request: http('/_internal./v1/users/1') },
  { name: 'two trailing dots on the prefix', request: http('/_internal../openapi.json') },
  { name: 'an encoded trailing dot', request: http('/_internal%2e/v1/users/1') },
  { name: 'an encoded trailing space', request: http('/_internal%20/v1/users/1') },
  { name: 'a raw space in the target', request: http('/_internal /v1/users/1'), expect: 400 },

  { name: 'HTTP/1.0 without Host', request: http(USER, { version: 'HTTP/1.0', host: null, close: false }) },
  { name: 'HTTP/1.0 with Host localhost', request: http(SESSIONS, { version: 'HTTP/1.0', host: 'localhost' }) },

  { name: 'POST with a JSON body', request: http('/_internal/v1/users', { method: 'POST', headers: 'Content-Type: application/json\r\n', body: '{"username":"alice"}' }) },
  {
    name: 'POST with a chunked JSON body',
    request: http('/_internal/v1/markdown/render', {
      method: 'POST',
      headers: 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n',
      body: chunked('{"text":"*hi*"}'),
    }),
  },
  {
    name: 'POST expecting 100-continue',
    request: http(SESSIONS, { method: 'POST', headers: 'Content-Type: application/json\r\nExpect: 100-continue\r\n', body: '{"cookie":"x"}' }),
  },
  { name: 'PUT', request: http(USER, { method: 'PUT', body: '{}' }) },
  { name: 'PATCH', request: http(USER, { method: 'PATCH', body: '{}' }) },
  { name: 'DELETE', request: http(USER, { method: 'DELETE' }) },
  { name: 'HEAD', request: http(OPENAPI, { method: 'HEAD' }) },
  { name: 'OPTIONS', request: http(USER, { method: 'OPTIONS' }) },
  { name: 'OPTIONS *', request: http('*', { method: 'OPTIONS' }), expect: 400 },
  { name: 'a lower-case method', request: http(USER, { method: 'get' }), expect: 400 },
  {
    name: 'an upgrade to WebSocket',
    request: http(USER, {
      headers: 'Upgrade: websocket\r\nConnection: Upgrade, close\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n',
      close: false,
    }),
  },

  { name: 'CONNECT to the internal listener', request: http('127.0.0.1:8082', { method: 'CONNECT', host: '127.0.0.1:8082', close: false }), expect: 400 },
  { name: "CONNECT to host 'internal'", request: http('internal:8082', { method: 'CONNECT', host: 'internal:8082', close: false }), expect: 400 },
  { name: 'CONNECT with an origin-form target', request: http(USER, { method: 'CONNECT' }), expect: 405 },
  { name: 'CONNECT with an absolute-form target', request: http(`http://127.0.0.1:8082${USER}`, { method: 'CONNECT' }), expect: 405 },

  { name: 'pipelined after a harmless GET', request: http(NOWHERE, { close: false }) + http(USER) },
  { name: 'pipelined after a GET of a TS route', request: http('/api/v1/boards', { close: false }) + http('/%5Finternal/openapi.json') },
  { name: 'pipelined after a POST with a body', request: http(NOWHERE, { method: 'POST', body: 'a=1', close: false }) + http(SESSIONS) },
  { name: 'pipelined in absolute form after a harmless GET', request: http(NOWHERE, { close: false }) + http(`http://127.0.0.1:8082${USER}`) },
  {
    name: 'smuggled behind Content-Length and Transfer-Encoding',
    request: http(NOWHERE, { method: 'POST', headers: 'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n' }) + `0\r\n\r\n${http(USER)}`,
    expect: 400,
  },

  { name: 'X-Original-URL on a harmless path', request: http(NOWHERE, { headers: `X-Original-URL: ${USER}\r\n` }), expect: 'forwarded' },
  { name: 'X-Rewrite-URL on a harmless path', request: http(NOWHERE, { headers: `X-Rewrite-URL: ${OPENAPI}\r\n` }), expect: 'forwarded' },
  { name: 'lower-case x-original-url on a TS route', request: http(TS_NOWHERE, { headers: `x-original-url: ${SESSIONS}\r\n` }), expect: 'forwarded' },
  { name: 'X_Original_URL with underscores', request: http(NOWHERE, { headers: `X_Original_URL: ${USER}\r\n` }), expect: 'forwarded' },
  {
    name: 'both path overrides, encoded',
    request: http(NOWHERE, { headers: 'X-Original-URL: /%5Finternal/v1/users/1\r\nX-Rewrite-URL: /a/../_internal/openapi.json\r\n' }),
    expect: 'forwarded',
  },
];

/** The status of the last response in a raw answer, or a word saying why there is none. */
function lastStatus(raw: string): number | string {
  if (raw === '') return 'no answer';
  try {
    return parseResponses(raw).at(-1)?.status ?? 'no answer';
  } catch {
    return `unparsable: ${JSON.stringify(raw.slice(0, 80))}`;
  }
}

interface Outcome {
  readonly name: string;
  readonly expected: number;
  readonly got: number | string;
}

/** Send each attempt in turn; `expectedOf` turns its row into the status this setting must answer. */
async function runAttempts(url: string, expectedOf: (expect: Expected) => number): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const attempt of ATTEMPTS) outcomes.push({ name: attempt.name, expected: expectedOf(attempt.expect ?? 404), got: lastStatus(await sendRaw(url, attempt.request)) });
  return outcomes;
}

const mismatches = (outcomes: readonly Outcome[]): Outcome[] => outcomes.filter((o) => o.got !== o.expected);

// ---- forged identity headers ----------------------------------------------------------------------

interface HeaderForgery {
  readonly name: string;
  /** The request for `path`; most rows are a GET with extra header lines. */
  readonly request: (path: string) => string;
  /** 200: forwarded without the forged headers (the default). 400: both front doors refuse it. */
  readonly expect?: 200 | 400;
}

const withLines = (name: string, lines: string, expect?: 200 | 400): HeaderForgery => ({ name, request: (path) => http(path, { headers: lines }), expect });

const FORGERIES: readonly HeaderForgery[] = [
  withLines('X-Strangler-Shadow', 'X-Strangler-Shadow: 1\r\n'),
  withLines('X-Strangler-User', 'X-Strangler-User: alice\r\n'),
  withLines('X-Strangler-Route', 'X-Strangler-Route: ts\r\n'),
  withLines('bare X-Strangler', 'X-Strangler: 1\r\n'),
  withLines('X-User-Id', 'X-User-Id: 1\r\n'),
  withLines('X-User-Name', 'X-User-Name: admin\r\n'),
  withLines('bare X-User', 'X-User: admin\r\n'),
  withLines('lower case', 'x-user-id: 1\r\nx-strangler-shadow: 1\r\n'),
  withLines('upper case', 'X-USER-ID: 1\r\nX-STRANGLER-SHADOW: 1\r\n'),
  withLines('mixed case', 'x-UsEr-iD: 1\r\nX-sTrAnGlEr-UsEr: alice\r\n'),
  withLines('repeated', 'X-User-Id: 1\r\nX-User-Id: 2\r\n'),
  withLines('repeated in other cases', 'X-User-Id: 1\r\nx-user-id: 2\r\nX-USER-ID: 3\r\n'),
  withLines('an empty value', 'X-User-Id:\r\n'),
  withLines('underscores everywhere', 'X_User_Id: 1\r\n'),
  withLines('one underscore', 'X-Strangler_Shadow: 1\r\n'),
  withLines('underscores, upper case', 'X_STRANGLER_SHADOW: 1\r\n'),
  withLines('underscore in the suffix', 'X-User_Name: admin\r\n'),
  withLines('bare X_User', 'X_User: admin\r\n'),
  withLines('among ordinary headers', 'Accept: application/json\r\nX-User-Id: 1\r\nCookie: forum_session=abc\r\nX-Strangler-Shadow: 1\r\nUser-Agent: walls\r\n'),
  withLines('whitespace before the colon', 'X-User-Id : 1\r\n', 400),
  withLines('a tab before the colon', 'X-User-Id\t: 1\r\n', 400),
  withLines('a space inside the name', 'X-User Id: 1\r\n', 400),
  withLines('an obs-fold line carrying a header', 'X-Note: a\r\n X-User-Id: 1\r\n', 400),
  withLines('an obs-fold continuation of a forged header', 'X-User-Id: 1\r\n\tadmin\r\n', 400),
  { name: 'on HTTP/1.0', request: (path) => http(path, { version: 'HTTP/1.0', headers: 'X-User-Id: 1\r\nX_Strangler_Shadow: 1\r\n' }) },
  {
    name: 'in the second of two pipelined requests',
    request: (path) => http('/walls/first', { close: false }) + http(path, { headers: 'X-User-Id: 1\r\nX-Strangler-User: alice\r\n' }),
  },
  {
    name: 'in the trailer of a chunked body',
    request: (path) =>
      http(path, { method: 'POST', headers: 'Transfer-Encoding: chunked\r\nTrailer: X-User-Id\r\n', body: chunked('hi', 'X-User-Id: 1\r\nX-Strangler-Shadow: 1\r\n') }),
  },
];

// ---- the suites -----------------------------------------------------------------------------------

describe.each(FRONT_DOORS)('the walls of the %s front door, in front of two recording backends', (kind) => {
  let front: EchoFrontDoor;
  beforeAll(async () => {
    front = await startEchoFrontDoor(kind, ROUTES);
  });
  afterAll(async () => {
    await front?.stop();
  });

  /** From now on: what the backends received, and what of it should never have reached them. */
  const watchBackends = (): { received: () => EchoedRequest[]; breaches: () => string[] } => {
    const { legacy, ts } = front;
    const [legacyFrom, tsFrom] = [legacy.requests.length, ts.requests.length];
    const received = (): EchoedRequest[] => [...legacy.requests.slice(legacyFrom), ...ts.requests.slice(tsFrom)];
    return { received, breaches: () => received().flatMap(breaches) };
  };

  it(`answers each of ${ATTEMPTS.length} attempts on /_internal with its status, and no backend sees /_internal`, async () => {
    expect(ATTEMPTS.length).toBeGreaterThanOrEqual(70);
    expect(new Set(ATTEMPTS.map((a) => a.name)).size, 'attempt names are unique').toBe(ATTEMPTS.length);
    const watch = watchBackends();
    const outcomes = await runAttempts(front.url, (expect) => (expect === 'forwarded' ? 200 : expect));
    expect(mismatches(outcomes)).toEqual([]);
    expect(watch.breaches()).toEqual([]);

    const refusedAsInternal = outcomes.filter((o) => o.got === 404).length;
    expect(refusedAsInternal, `${kind} itself answered 404 to ${refusedAsInternal} of ${outcomes.length} attempts`).toBeGreaterThanOrEqual(60);
    // The forwarded rows are only a proof if they did reach a backend.
    expect(watch.received().length).toBeGreaterThanOrEqual(ATTEMPTS.filter((a) => a.expect === 'forwarded').length);
  });

  it.each(FORGERIES.map((f, i) => [f.name, f, i] as const))('keeps forged identity headers (%s) from both backends', async (_name, forgery, index) => {
    for (const [backend, path] of [
      ['legacy', `/walls/headers/${index}`],
      ['ts', `/api/v1/threads/${index}`],
    ] as const) {
      const watch = watchBackends();
      const status = lastStatus(await sendRaw(front.url, forgery.request(path)));
      expect(status, path).toBe(forgery.expect ?? 200);
      const reached = watch.received().filter((r) => r.url === path && r.backend === backend);
      expect(reached, `${path} reached ${backend}`).toHaveLength(forgery.expect === 400 ? 0 : 1);
      expect(watch.breaches()).toEqual([]);
    }
  });
});

describe.each(FRONT_DOORS)('the walls of the real stack behind the %s front door', (kind) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(kind);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers 404 (or its refusal) to every attempt on /_internal, legacy’s own 404 for those passed on', async () => {
    const outcomes = await runAttempts(stack.front.url, (expect) => (expect === 'forwarded' ? 404 : expect));
    expect(mismatches(outcomes)).toEqual([]);
    for (const process of [stack.legacy, stack.ts]) expect(process.child.exitCode, `${process.name} exited`).toBeNull();
  });
});
