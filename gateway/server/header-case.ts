/**
 * Response header names in their conventional spelling (`Cache-Control`, `ETag`), as most HTTP servers
 * and the legacy side send them. Hono keeps headers in a WHATWG `Headers` object, which lower-cases every
 * name; nginx passes names through as the backend wrote them, so without this a curious client could
 * tell the two sides apart by the case of a header.
 *
 * @example
 * serve({ fetch: app.fetch, serverOptions: { ServerResponse: ConventionalHeaderCase } });
 */
import { ServerResponse, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';

const SPECIAL = new Map([
  ['etag', 'ETag'],
  ['www-authenticate', 'WWW-Authenticate'],
  ['content-md5', 'Content-MD5'],
  ['x-xss-protection', 'X-XSS-Protection'],
  ['x-ua-compatible', 'X-UA-Compatible'],
  ['te', 'TE'],
  ['dnt', 'DNT'],
]);

// The names a server sends are few and the same on every answer: each is spelled once, then looked up.
// Bounded, since a proxied answer's names are the backend's choosing.
const spelled = new Map<string, string>();
const MAX_SPELLED = 1_000;

/** `cache-control` → `Cache-Control`, `etag` → `ETag`. */
export function conventionalName(name: string): string {
  const known = spelled.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  const conventional = SPECIAL.get(lower) ?? lower.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
  if (spelled.size < MAX_SPELLED) spelled.set(name, conventional);
  return conventional;
}

type HeaderList = OutgoingHttpHeaders | readonly (string | number | readonly string[])[] | readonly [string, string | number | readonly string[]][];

function renamed(headers: HeaderList | undefined): HeaderList | undefined {
  if (headers === undefined) return undefined;
  if (!Array.isArray(headers)) {
    return Object.fromEntries(Object.entries(headers).map(([name, value]) => [conventionalName(name), value]));
  }
  // Node takes either [[name, value], ...] or a flat [name, value, name, value, ...].
  if (headers.length > 0 && Array.isArray(headers[0])) {
    return (headers as readonly [string, string | number | readonly string[]][]).map(([name, value]) => [conventionalName(name), value] as const) as HeaderList;
  }
  return (headers as readonly (string | number | readonly string[])[]).map((item, i) => (i % 2 === 0 && typeof item === 'string' ? conventionalName(item) : item));
}

export class ConventionalHeaderCase<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  // Node's overloads: (status, headers?) and (status, statusMessage, headers?).
  override writeHead(statusCode: number, ...rest: unknown[]): this {
    const [first, second] = rest;
    if (typeof first === 'string') return super.writeHead(statusCode, first, renamed(second as HeaderList | undefined) as OutgoingHttpHeaders);
    return super.writeHead(statusCode, renamed(first as HeaderList | undefined) as OutgoingHttpHeaders);
  }
}
