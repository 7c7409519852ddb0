/**
 * `X-Strangler-Shadow: 1` marks a copy of a request that the gateway sends for comparison only: its answer
 * never reaches anyone, so a handler that sees it must not write (count a view, send a mail, fill a cache).
 * The gateway alone sets it; every door drops a client's copy (nginx and the edge with every
 * `X-Strangler-*` header, the TS server's public listener with {@link dropClientShadowHeader}).
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** The header's name, lower case. */
export const SHADOW_HEADER = 'x-strangler-shadow';

type HeaderSource = Headers | IncomingHttpHeaders | { readonly headers: Headers | IncomingHttpHeaders } | { readonly req: { readonly raw: Request } };

/**
 * Whether a request is a shadow copy: a Fetch Request or its Headers, a Node request or its headers, or a
 * Hono context.
 *
 * @example
 * app.get('/t/:id', (c) => { if (!isShadowRequest(c)) views.record(id); ... });
 * isShadowRequest(new Headers({ 'x-strangler-shadow': '1' })); // true
 */
export function isShadowRequest(source: HeaderSource): boolean {
  const headers =
    'req' in source && typeof source.req === 'object' && source.req !== null && 'raw' in source.req
      ? source.req.raw.headers
      : 'headers' in source && typeof source.headers === 'object'
        ? source.headers
        : source;
  const value = headers instanceof Headers ? headers.get(SHADOW_HEADER) : (headers as IncomingHttpHeaders)[SHADOW_HEADER];
  return (Array.isArray(value) ? value[0] : value)?.trim() === '1';
}

/**
 * Remove a client's `X-Strangler-Shadow` from a request as received (parsed and raw headers alike), before
 * anything reads it: only the gateway may say a request is a copy.
 *
 * @example
 * createServer((req, res) => { dropClientShadowHeader(req); listener(req, res); });
 */
export function dropClientShadowHeader(req: IncomingMessage): void {
  if (req.headers[SHADOW_HEADER] === undefined) return;
  delete req.headers[SHADOW_HEADER];
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i]!.toLowerCase() === SHADOW_HEADER) raw.splice(i, 2);
}
