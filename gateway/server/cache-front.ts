/**
 * A guest's cache hit answered at the Node listener, before Hono: the same checks the dispatch makes
 * (target normalized as the front door does, /_internal refused, the live table's route and method),
 * then the service's own look-up (gateway/cache/front.ts), which says yes only to a plain guest. The
 * answer is written in one `writeHead` with header lines computed once per stored answer: the same
 * lines, order and case as the answer Hono would send from the cache, Date and connection headers aside.
 * Anything else (a miss, a cookie naming the session, a 400) returns false and takes the ordinary way.
 */
import { ServerResponse, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { accessRecord, ANSWERED_BY_HEADER, answeredByValue, exchangeBytes, type AccessRecord } from '../access/index.ts';
import { matchesEtag, type CachedAnswer } from '../cache/index.ts';
import type { Logger } from '../log/index.ts';
import { requestIdFrom } from '../request-id/index.ts';
import { isInternalPath, normalizeTarget } from '../routes/normalize.ts';
import type { RouteTable } from '../routes/types.ts';
import { planFor } from './plan.ts';
import { canaryKey } from './canary-key.ts';
import { conventionalName } from './header-case.ts';
import type { Service } from './service.ts';

export interface CacheAnswererOptions {
  readonly services: readonly Service[];
  /** The live route table, read per request (a reload can move a path back to legacy). */
  readonly table: () => RouteTable;
  readonly logger: Logger;
  /** Whether answers carry X-Strangler-Answered-By (side, route, revision), as the dispatch's do. */
  readonly answeredBy: boolean;
  /** Called with each hit's access record once it is logged (the metrics), as the dispatch's records are. */
  readonly onAccess?: (record: AccessRecord) => void;
  /** The session cookie a canary route's users stick by, as the dispatch's (./canary-key.ts); null: the address. */
  readonly canaryCookie?: string | null;
}

/** Writes a stored answer to a request, or returns false having written nothing. */
export type CacheAnswerer = (req: IncomingMessage, res: ServerResponse) => boolean;

interface Heads {
  /** The answered-by value these lines were built with ('' without one): a reload changes it. */
  readonly mark: string;
  readonly ok: readonly string[];
  readonly notModified: readonly string[];
}

// The 304 carries the validators and caching headers of the 200 (RFC 9110 15.4.5), as the middleware's does.
const NOT_MODIFIED_KEEPS = new Set(['cache-control', 'etag', 'vary']);

/**
 * @example
 * const answerFromCache = createCacheAnswerer({ services, table: () => live, logger, answeredBy: false });
 * createServer((req, res) => answerFromCache(req, res) || honoListener(req, res));
 */
export function createCacheAnswerer({ services, table, logger, answeredBy, onAccess, canaryCookie = null }: CacheAnswererOptions): CacheAnswerer {
  const fronts = new Map(services.flatMap((service) => (service.app && service.cache ? [[service.name, service.cache] as const] : [])));
  if (fronts.size === 0) return () => false;
  const heads = new WeakMap<CachedAnswer, Heads>();
  const headsOf = (answer: CachedAnswer, mark: string): Heads => {
    let known = heads.get(answer);
    if (known === undefined || known.mark !== mark) {
      const extra = mark === '' ? null : ([ANSWERED_BY_HEADER, mark] as const);
      known = {
        mark,
        // As node-server writes a Response: its own Content-Length, else the body's length after the rest.
        ok: answer.headers.some(([name]) => name === 'content-length')
          ? flatLines(answer.headers, extra)
          : [...flatLines(answer.headers, extra), 'Content-Length', String(answer.body.byteLength)],
        notModified: flatLines(
          answer.headers.filter(([name]) => NOT_MODIFIED_KEEPS.has(name)),
          extra,
        ),
      };
      heads.set(answer, known);
    }
    return known;
  };

  // A throw in a 'request' listener would end the process: an unexpected error here is logged and the
  // request goes the ordinary way (whose error handler answers it), or, once the head is out, is cut.
  return function answerFromCache(req, res) {
    try {
      return answerIfStored(req, res);
    } catch (err) {
      logger.error({ event: 'error', err, path: req.url }, 'answering from the cache failed');
      if (!res.headersSent) return false;
      res.destroy();
      return true;
    }
  };

  function answerIfStored(req: IncomingMessage, res: ServerResponse): boolean {
    const startedAt = performance.now();
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const target = normalizeTarget(req.url ?? '/');
    if (!target.ok || isInternalPath(target.path)) return false;
    const live = table();
    const route = live.match(target.path);
    // A route announcing its end adds Deprecation, Sunset and Link to every answer: the ordinary way does that.
    if (route.lifecycle !== undefined) return false;
    // On a canary route the user's bucket decides, as in the dispatch: a hit is only ever TS's answer.
    const plan = planFor(live, route, { method, key: () => canaryKey(req.headers, req.socket.remoteAddress, canaryCookie) });
    const front = plan.answer === 'ts' && plan.handler !== null ? fronts.get(plan.handler) : undefined;
    if (front === undefined) return false;
    const headers = headersOf(req.rawHeaders);
    const answer = front.lookup(target.forwardPath, target.search, headers);
    if (answer === undefined) return false;
    answer.onHit?.(method);
    const { ok, notModified } = headsOf(answer, answeredBy ? answeredByValue('ts', route.path, plan.revision, { canary: plan.canary !== null }) : '');
    const status = matchesEtag(headers['if-none-match'], answer.etag) ? 304 : answer.status;
    // The names are already in their conventional case: the renaming writeHead of the listener's class is skipped.
    ServerResponse.prototype.writeHead.call(res, status, (status === 304 ? notModified : ok) as string[]);
    // Node sends no body to a HEAD and none with a 304.
    res.end(status === 304 || method === 'HEAD' ? undefined : answer.body);
    const record = accessRecord({
      requestId: requestIdFrom(req.headers['x-request-id']?.toString()),
      method,
      path: req.url ?? '/',
      route: route.path,
      revision: plan.revision,
      backend: 'ts',
      status,
      durationMs: performance.now() - startedAt,
      ...exchangeBytes(req),
    });
    if (logger.isLevelEnabled('info')) logger.info({ ...record, listener: 'public', cache: 'hit' }, 'access');
    onAccess?.(record);
    return true;
  }
}

/** The lines as a Fetch Headers object iterates them (names lower-case, sorted), in conventional case, flat. */
function flatLines(lines: readonly (readonly [string, string])[], extra: readonly [string, string] | null): string[] {
  const headers = new Headers(lines as [string, string][]);
  if (extra !== null) headers.set(extra[0], extra[1]);
  return [...headers].flatMap(([name, value]) => [conventionalName(name), value]);
}

/**
 * The few request headers a hit needs, read from the raw lines: `req.headers` would build an object of
 * every line (nginx adds half a dozen) on each request. Repeated lines join as Node joins them (Cookie
 * with `; `, the others with `, `), so a second Cookie line is never missed.
 */
function headersOf(raw: readonly string[]): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // Only a name of a wanted length is lower-cased and compared.
    if (name.length !== 6 && name.length !== 13) continue;
    const lower = name.toLowerCase();
    if (!WANTED.has(lower)) continue;
    const value = raw[i + 1]!;
    const before = headers[lower] as string | undefined;
    headers[lower] = before === undefined ? value : `${before}${lower === 'cookie' ? '; ' : ', '}${value}`;
  }
  return headers;
}

// The names a hit reads (6 and 13 letters long).
const WANTED = new Set(['cookie', 'authorization', 'if-none-match']);
