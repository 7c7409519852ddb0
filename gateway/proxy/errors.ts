/**
 * The one taxonomy of proxy failures and the one place they map to a status (STYLE.md point 6).
 *
 * @example
 * const failure = classifyProxyError(err, { clientGone: req.socket.destroyed });
 * const status = FAILURE_STATUS[failure]; // 502, 504, 413 or null (nothing to answer)
 */

export const PROXY_FAILURES = ['client-gone', 'upstream-unreachable', 'upstream-broken', 'upstream-timeout', 'body-too-large'] as const;
export type ProxyFailure = (typeof PROXY_FAILURES)[number];

/** What the client gets for each failure; null: nobody is listening, so nothing is sent. */
export const FAILURE_STATUS = {
  'client-gone': null,
  'upstream-unreachable': 502,
  'upstream-broken': 502,
  'upstream-timeout': 504,
  'body-too-large': 413,
} as const satisfies Record<ProxyFailure, number | null>;

/** The status an exchange is logged with when the client left before any answer (nginx's 499). */
export const CLIENT_GONE_STATUS = 499;

/** The upstream sent nothing for longer than the proxy's timeout. */
export class UpstreamTimeoutError extends Error {
  readonly code = 'UPSTREAM_TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`the upstream sent nothing for ${timeoutMs} ms`);
  }
}

/** The request body grew past the configured limit. */
export class BodyTooLargeError extends Error {
  readonly code = 'BODY_TOO_LARGE';
  constructor(readonly maxBodyBytes: number) {
    super(`the request body is larger than ${maxBodyBytes} bytes`);
  }
}

/** The upstream connection broke after the response had started. */
export class UpstreamAbortedError extends Error {
  readonly code = 'UPSTREAM_ABORTED';
  constructor() {
    super('the upstream closed the connection in the middle of the response');
  }
}

// Errors that mean "could not talk to the upstream at all" (before any response byte).
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ETIMEDOUT']);

export interface ClassifyContext {
  /** The client's connection is already closed: nobody to answer. */
  readonly clientGone: boolean;
}

/** Name the failure behind an error raised while proxying. */
export function classifyProxyError(err: unknown, { clientGone }: ClassifyContext): ProxyFailure {
  if (err instanceof BodyTooLargeError) return 'body-too-large';
  if (clientGone) return 'client-gone';
  if (err instanceof UpstreamTimeoutError) return 'upstream-timeout';
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  if (UNREACHABLE_CODES.has(code)) return 'upstream-unreachable';
  return 'upstream-broken';
}
