/**
 * Header rules at the proxy's two edges: what goes upstream and what comes back to the client.
 *
 * @example
 * const upstream = buildRequestHeaders(req.headers, { 'x-request-id': id });
 * const downstream = filterResponseHeaders(upstreamRes.rawHeaders, { keepTrailer: true });
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Hop-by-hop headers (RFC 9110 §7.6.1 plus the de-facto `Proxy-Connection` and `Keep-Alive`). */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'upgrade', 'transfer-encoding']);

/** Response headers that would tell a client which side answered; both sides drop them so they look alike. */
export const IDENTIFYING_RESPONSE_HEADERS = new Set(['server', 'x-powered-by']);

/** Framing and routing headers a client must not be able to drop by naming them in Connection: without
 *  them a body would go upstream unframed (request smuggling). */
const NEVER_CONNECTION_LISTED = new Set(['transfer-encoding', 'content-length', 'host']);

/** Names listed in a Connection header are hop-by-hop for this message too. */
export function connectionTokens(value: string | string[] | undefined): Set<string> {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    joined
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * The headers to send upstream: the client's, minus hop-by-hop ones, with `overrides` applied
 * (a string sets, undefined removes). Transfer-Encoding is kept: Node re-frames the body as chunked
 * when it is present, and without it a body of unknown length would be written unframed.
 *
 * @example
 * buildRequestHeaders({ connection: 'x-secret', 'x-secret': '1', host: 'a' }, {}); // { host: 'a' }
 */
export function buildRequestHeaders(incoming: IncomingHttpHeaders, overrides: Record<string, string | undefined>): IncomingHttpHeaders {
  const listed = connectionTokens(incoming.connection);
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || (listed.has(name) && !NEVER_CONNECTION_LISTED.has(name))) continue;
    if (HOP_BY_HOP.has(name) && name !== 'transfer-encoding') continue;
    // Node has already answered `Expect: 100-continue` itself; forwarding it would make the
    // upstream wait for a second go-ahead nobody sends.
    if (name === 'expect') continue;
    out[name] = value;
  }
  for (const [name, value] of Object.entries(overrides)) {
    const key = name.toLowerCase();
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

export interface ResponseHeaderOptions {
  /** Keep the upstream `Trailer` header (only when the client response will be chunked). */
  readonly keepTrailer: boolean;
}

/**
 * Upstream response headers as [name, value] pairs in their original order and case, repeated headers
 * (several Set-Cookie) kept apart, hop-by-hop and identifying headers removed.
 *
 * @example
 * filterResponseHeaders(['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Server', 'x'], { keepTrailer: false });
 * // [['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']]
 */
export function filterResponseHeaders(rawHeaders: readonly string[], { keepTrailer }: ResponseHeaderOptions): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
  const listed = connectionTokens(pairs.filter(([name]) => name.toLowerCase() === 'connection').map(([, value]) => value));
  return pairs.filter(([name]) => {
    const key = name.toLowerCase();
    if (key === 'trailer') return keepTrailer;
    if (listed.has(key) && !NEVER_CONNECTION_LISTED.has(key)) return false;
    return !HOP_BY_HOP.has(key) && !IDENTIFYING_RESPONSE_HEADERS.has(key);
  });
}
