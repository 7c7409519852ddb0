/**
 * The edge's responses with nginx's header order, so the two front doors cannot be told apart by it:
 * nginx writes `Date`, `Content-Type`, `Content-Length`, `Transfer-Encoding` and `Connection` first, in
 * that spelling (ngx_http_header_filter_module.c), then the backend's other lines in the backend's order
 * and spelling, repeated ones where they stood, then what `add_header` adds (`X-Request-Id`). Its own
 * date replaces the backend's, it never sends `Keep-Alive` nor the backend's `X-Accel-*` and `X-Pad`, and
 * its own answers use its reason phrases.
 *
 * @example
 * http.createServer({ ServerResponse: NginxOrderResponse }, handler);
 */
import { ServerResponse, validateHeaderName, validateHeaderValue, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';

/** Reason phrases nginx writes for statuses the edge answers itself (ngx_http_status_lines; 1.22 has none for 431). */
export const NGINX_REASONS: Readonly<Record<number, string>> = {
  405: 'Not Allowed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Large',
  431: '',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

/** Headers nginx writes ahead of the list, in its order and its spelling, whatever the backend's. */
const LEADING = new Map([
  ['date', 'Date'],
  ['content-type', 'Content-Type'],
  ['content-length', 'Content-Length'],
  ['transfer-encoding', 'Transfer-Encoding'],
  ['connection', 'Connection'],
]);
/** Added by add_header after everything else. */
const TRAILING = new Set(['x-request-id']);

/** Backend headers nginx reads itself and never passes on (proxy_hide_header's defaults besides Date and Server). */
const NGINX_HIDDEN = /^(x-accel-[a-z-]*|x-pad)$/i;

type HeaderValue = number | string | readonly string[];
type HeaderLine = readonly [name: string, value: string];

export class NginxOrderResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  // Node keeps one entry per name, so a repeated header (Set-Cookie) would lose its place among the
  // others, while nginx writes every line where the backend wrote it. The lines live here instead, and
  // writeHead hands Node the finished list (Node's fast path for a list: nothing set, all given).
  #lines: HeaderLine[] = [];

  override setHeader(name: string, value: HeaderValue): this {
    validateHeaderName(name);
    const values = Array.isArray(value) ? value.map(String) : [String(value)];
    for (const item of values) validateHeaderValue(name, item);
    this.removeHeader(name);
    for (const item of values) this.#lines.push([name, item]);
    return this;
  }

  override appendHeader(name: string, value: string | readonly string[]): this {
    validateHeaderName(name);
    for (const item of Array.isArray(value) ? value : [value]) {
      validateHeaderValue(name, item);
      this.#lines.push([name, String(item)]);
    }
    return this;
  }

  override removeHeader(name: string): void {
    const key = name.toLowerCase();
    this.#lines = this.#lines.filter(([line]) => line.toLowerCase() !== key);
  }

  override getHeader(name: string): string | string[] | undefined {
    const key = name.toLowerCase();
    const values = this.#lines.filter(([line]) => line.toLowerCase() === key).map(([, value]) => value);
    return values.length === 0 ? undefined : values.length === 1 && key !== 'set-cookie' ? values[0] : values;
  }

  override hasHeader(name: string): boolean {
    return this.getHeader(name) !== undefined;
  }

  override getHeaderNames(): string[] {
    return [...new Set(this.#lines.map(([name]) => name.toLowerCase()))];
  }

  override getHeaders(): OutgoingHttpHeaders {
    return Object.fromEntries(this.getHeaderNames().map((name) => [name, this.getHeader(name)]));
  }

  getRawHeaderNames(): string[] {
    const seen = new Map<string, string>();
    for (const [name] of this.#lines) if (!seen.has(name.toLowerCase())) seen.set(name.toLowerCase(), name);
    return [...seen.values()];
  }

  // Node's overloads: (status, headers?) and (status, statusMessage, headers?).
  override writeHead(statusCode: number, ...rest: unknown[]): this {
    const [first, second] = rest;
    const reason = typeof first === 'string' ? first : undefined;
    const headers = (typeof first === 'string' ? second : first) as OutgoingHttpHeaders | readonly string[] | undefined;
    if (Array.isArray(headers)) for (let i = 0; i + 1 < headers.length; i += 2) this.appendHeader(String(headers[i]), String(headers[i + 1]));
    else if (headers) for (const [name, value] of Object.entries(headers)) if (value !== undefined) this.setHeader(name, value);
    if (this.headersSent) return super.writeHead(statusCode, reason);
    return super.writeHead(statusCode, reason ?? NGINX_REASONS[statusCode], this.#ordered(statusCode).flat());
  }

  #ordered(statusCode: number): HeaderLine[] {
    const lines = this.#lines.filter(([name]) => name.toLowerCase() !== 'date' && !NGINX_HIDDEN.test(name));
    const has = (key: string): boolean => lines.some(([name]) => name.toLowerCase() === key);
    const value = (key: string): string | undefined => lines.find(([name]) => name.toLowerCase() === key)?.[1];
    const lead = new Map<string, string>();
    if (this.sendDate) lead.set('date', new Date().toUTCString());
    const hasBody = this.req?.method !== 'HEAD' && statusCode >= 200 && statusCode !== 204 && statusCode !== 304;
    const chunked = hasBody && !has('content-length') && this.req?.httpVersion === '1.1';
    const framed = !hasBody || has('content-length') || chunked;
    const closing = /\bclose\b/i.test(value('connection') ?? '') || !this.shouldKeepAlive || !framed;
    for (const key of ['content-type', 'content-length']) if (has(key)) lead.set(key, value(key)!);
    if (chunked) lead.set('transfer-encoding', 'chunked');
    // Named here, Node writes no Keep-Alive header of its own (nginx sends none).
    lead.set('connection', closing ? 'close' : 'keep-alive');
    const leading = [...LEADING].filter(([key]) => lead.has(key)).map(([key, name]) => [name, lead.get(key)!] as const);
    const middle = lines.filter(([name]) => !LEADING.has(name.toLowerCase()) && !TRAILING.has(name.toLowerCase()));
    const trailing = lines.filter(([name]) => TRAILING.has(name.toLowerCase()));
    return [...leading, ...middle, ...trailing];
  }
}
