/**
 * What the front door does to a client's request headers before any backend sees them: identity
 * headers a client could forge and path overrides are removed, the request id is minted here and
 * nowhere else, and the forwarded-for family is rebuilt from the socket (client values are never
 * trusted). Same rules as the nginx config.
 *
 * @example
 * const id = mintRequestId(); // from gateway/request-id
 * proxy.forward(req, res, backend, { headers: edgeRequestHeaders(req, id), requestId: id });
 */
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';

/** Header name prefixes only the gateway may set; a client's are dropped, and so are the bare names. */
export const FORGEABLE_PREFIXES = ['x-strangler-', 'x-user-'] as const;
const FORGEABLE_NAMES: ReadonlySet<string> = new Set(FORGEABLE_PREFIXES.map((prefix) => prefix.slice(0, -1)));

// Symfony, Zend and IIS's URL Rewrite take these as the path really asked for: a client could name a
// path the front door refuses (/_internal) in one of them.
const PATH_OVERRIDE_HEADERS: ReadonlySet<string> = new Set(['x-original-url', 'x-rewrite-url']);

export const isForgeableHeader = (name: string): boolean => {
  const lower = name.toLowerCase();
  return FORGEABLE_NAMES.has(lower) || FORGEABLE_PREFIXES.some((prefix) => lower.startsWith(prefix));
};

// nginx's ignore_invalid_headers keeps only names of letters, digits and '-' (underscores_in_headers off).
const INVALID_HEADER_NAME = /[^A-Za-z0-9-]/;

/**
 * Whether a client's header never reaches a backend. A name with '_' (or '.', or anything but letters,
 * digits and '-') is dropped as nginx drops it: WSGI and CGI servers read `X_User_Id` as `X-User-Id`,
 * so it is a forgery that no prefix check would see.
 */
const isDroppedHeader = (name: string): boolean => INVALID_HEADER_NAME.test(name) || isForgeableHeader(name) || PATH_OVERRIDE_HEADERS.has(name.toLowerCase());

/** Header overrides for {@link Proxy.forward}: a string sets, undefined removes. */
export function edgeRequestHeaders(req: IncomingMessage, requestId: string): Record<string, string | undefined> {
  const overrides: Record<string, string | undefined> = {};
  for (const name of Object.keys(req.headers)) if (isDroppedHeader(name)) overrides[name] = undefined;
  const clientIp = req.socket.remoteAddress ?? '';
  return {
    ...overrides,
    // RFC 7239 Forwarded would carry the same claims as X-Forwarded-*; a client's copy is not passed on.
    forwarded: undefined,
    'x-forwarded-port': undefined,
    'x-request-id': requestId,
    'x-forwarded-for': clientIp,
    'x-real-ip': clientIp,
    'x-forwarded-proto': req.socket instanceof TLSSocket ? 'https' : 'http',
    'x-forwarded-host': req.headers.host ?? undefined,
  };
}
