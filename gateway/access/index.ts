/**
 * The one access-log schema of the gateway: every front door (nginx, the Node edge) and the TS server
 * write one JSON line per request with these fields (docs/observability.md). nginx's line comes from the
 * `log_format` its generated config holds (gateway/nginx/access-log.ts); the Node processes build theirs
 * with {@link accessRecord}.
 *
 * @example
 * res.once('close', () => logger.info(accessRecord({ requestId, method: 'GET', path: '/', ... })));
 */
import type { ProxyFailure } from '../proxy/errors.ts';

export { exchangeBytes, type ExchangeBytes } from './bytes.ts';
export { ANSWERED_BY_HEADER, answeredByValue, answeredBySide, answeredByParams, type AnsweredByMark } from './answered-by.ts';

/** Every field of an access line, in the order nginx writes them. */
export const ACCESS_FIELDS = [
  'event',
  'request_id',
  'method',
  'path',
  'route',
  'revision',
  'backend',
  'status',
  'duration_s',
  'upstream_first_byte_s',
  'bytes_in',
  'bytes_out',
  'failure',
  'fallback',
] as const;

export type AccessField = (typeof ACCESS_FIELDS)[number];

/** One access line's fields (the logger adds `time`, `level` and `service`). */
export interface AccessRecord {
  readonly event: 'access';
  readonly request_id: string;
  readonly method: string;
  /** The request target as the client sent it. */
  readonly path: string;
  /** The route the request matched (its path); null when the door answered before routing (400, 404 for /_internal). */
  readonly route: string | null;
  /** The revision of the table that routed it; null when it was not routed. */
  readonly revision: string | null;
  /** Where it was sent (`legacy` or `ts`); null when the door answered itself. */
  readonly backend: string | null;
  readonly status: number;
  /** From the first byte of the request to the end of the answer, in seconds (ms resolution, as nginx). */
  readonly duration_s: number;
  /** From sending upstream to the upstream's response head, in seconds; null when nothing came back. */
  readonly upstream_first_byte_s: number | null;
  /** The request as read: line, headers and body (nginx's $request_length). */
  readonly bytes_in: number;
  /** The response as written: status line, headers and body (nginx's $bytes_sent). */
  readonly bytes_out: number;
  /** What went wrong (gateway/proxy/errors.ts); null when nothing did. */
  readonly failure: ProxyFailure | null;
  /**
   * The side that answered instead of the one the route names (`legacy`), when TS could not answer
   * before its first byte (docs/traffic-modes.md, "Fallback"); null otherwise. `backend` is then the
   * side that answered.
   */
  readonly fallback: 'legacy' | null;
}

export interface AccessInput {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly route?: string | null;
  readonly revision?: string | null;
  readonly backend?: string | null;
  readonly status: number;
  readonly durationMs: number;
  readonly upstreamFirstByteMs?: number | null;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly failure?: ProxyFailure | null;
  readonly fallback?: 'legacy' | null;
}

const seconds = (ms: number): number => Math.round(ms) / 1000;

/**
 * The access line for one exchange, every field present.
 *
 * @example
 * accessRecord({ requestId: 'r1', method: 'GET', path: '/b/x', route: '/b', revision: '3-1f3a9c0b', backend: 'legacy', status: 200, durationMs: 4.2, bytesIn: 80, bytesOut: 512 });
 * // { event: 'access', request_id: 'r1', ..., duration_s: 0.004, upstream_first_byte_s: null, failure: null }
 */
export function accessRecord(input: AccessInput): AccessRecord {
  return {
    event: 'access',
    request_id: input.requestId,
    method: input.method,
    path: input.path,
    route: input.route ?? null,
    revision: input.revision ?? null,
    backend: input.backend ?? null,
    status: input.status,
    duration_s: seconds(input.durationMs),
    upstream_first_byte_s: input.upstreamFirstByteMs === undefined || input.upstreamFirstByteMs === null ? null : seconds(input.upstreamFirstByteMs),
    bytes_in: input.bytesIn,
    bytes_out: input.bytesOut,
    failure: input.failure ?? null,
    fallback: input.fallback ?? null,
  };
}
