/**
 * The edge's responses with nginx's header order, so the two front doors cannot be told apart by it:
 * nginx writes `Date`, `Content-Type`, `Content-Length`, `Last-Modified`, an absolute `Location`,
 * `Transfer-Encoding` and `Connection` first (ngx_http_header_filter_module.c), then the backend's other
 * headers in the backend's order, then what `add_header` adds (`X-Request-Id`). Its own date replaces
 * the backend's, and it never sends `Keep-Alive`. Its own answers use its reason phrases.
 *
 * @example
 * http.createServer({ ServerResponse: NginxOrderResponse }, handler);
 */
import { ServerResponse, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';

/** Reason phrases nginx writes for statuses the edge answers itself (ngx_http_status_lines). */
const NGINX_REASONS: Readonly<Record<number, string>> = {
  405: 'Not Allowed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Large',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

/** Headers nginx writes ahead of the list, in its order; `location` only when absolute. */
const LEADING = ['date', 'content-type', 'content-length', 'last-modified', 'location', 'transfer-encoding', 'connection'] as const;
/** Added by add_header after everything else. */
const TRAILING = ['x-request-id'] as const;

type HeaderPair = readonly [string, number | string | string[]];

const isAbsoluteLocation = (value: unknown): boolean => typeof value === 'string' && !value.startsWith('/');

export class NginxOrderResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  // Node's overloads: (status, headers?) and (status, statusMessage, headers?).
  override writeHead(statusCode: number, ...rest: unknown[]): this {
    const [first, second] = rest;
    const reason = typeof first === 'string' ? first : undefined;
    const headers = (typeof first === 'string' ? second : first) as OutgoingHttpHeaders | undefined;
    // A raw header list is written as given (nothing in the edge passes one).
    if (Array.isArray(headers)) return super.writeHead(statusCode, reason ?? NGINX_REASONS[statusCode], headers);
    if (headers) for (const [name, value] of Object.entries(headers)) if (value !== undefined) this.setHeader(name, value);
    if (!this.headersSent) this.#reorder(statusCode);
    return super.writeHead(statusCode, reason ?? NGINX_REASONS[statusCode]);
  }

  #reorder(statusCode: number): void {
    // OutgoingMessage has had getRawHeaderNames since Node 15; the typings declare it on ClientRequest only.
    const names = (this as unknown as { getRawHeaderNames(): string[] }).getRawHeaderNames();
    const pairs: HeaderPair[] = names.map((name) => [name, this.getHeader(name)!]);
    for (const [name] of pairs) this.removeHeader(name);
    const byName = new Map<string, HeaderPair>(pairs.map((pair) => [pair[0].toLowerCase(), pair]));
    const put = (key: string): void => {
      const pair = byName.get(key);
      if (pair) this.setHeader(pair[0], pair[1]);
    };

    if (this.sendDate) byName.set('date', ['Date', new Date().toUTCString()]);
    const hasBody = this.req?.method !== 'HEAD' && statusCode >= 200 && statusCode !== 204 && statusCode !== 304;
    const chunked = hasBody && !byName.has('content-length') && this.req?.httpVersion === '1.1';
    if (chunked && !byName.has('transfer-encoding')) byName.set('transfer-encoding', ['Transfer-Encoding', 'chunked']);
    const framed = !hasBody || byName.has('content-length') || chunked;
    const closing = /\bclose\b/i.test(String(byName.get('connection')?.[1] ?? '')) || !this.shouldKeepAlive || !framed;
    // Named here, Node writes no Keep-Alive header of its own (nginx sends none).
    byName.set('connection', ['Connection', closing ? 'close' : 'keep-alive']);

    for (const key of LEADING) if (key !== 'location' || isAbsoluteLocation(byName.get(key)?.[1])) put(key);
    const placed = new Set<string>([...LEADING.filter((key) => key !== 'location' || isAbsoluteLocation(byName.get(key)?.[1])), ...TRAILING]);
    for (const [name, value] of pairs) if (!placed.has(name.toLowerCase())) this.setHeader(name, value);
    for (const key of TRAILING) put(key);
  }
}
