/**
 * What the front door does to a client's request headers before any backend sees them: identity
 * headers a client could forge are removed, the request id is minted here and nowhere else, and the
 * forwarded-for family is rebuilt from the socket (client values are never trusted). Same rules as
 * the nginx config.
 *
 * @example
 * const id = mintRequestId(); // from gateway/request-id
 * proxy.forward(req, res, backend, { headers: edgeRequestHeaders(req, id), requestId: id });
 */
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';

/** Header name prefixes only the gateway may set; a client's are dropped. */
export const FORGEABLE_PREFIXES = ['x-strangler-', 'x-user-'] as const;

export const isForgeableHeader = (name: string): boolean => {
  const lower = name.toLowerCase();
  return FORGEABLE_PREFIXES.some((prefix) => lower.startsWith(prefix));
};

/** Header overrides for {@link Proxy.forward}: a string sets, undefined removes. */
export function edgeRequestHeaders(req: IncomingMessage, requestId: string): Record<string, string | undefined> {
  const overrides: Record<string, string | undefined> = {};
  for (const name of Object.keys(req.headers)) if (isForgeableHeader(name)) overrides[name] = undefined;
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
