/**
 * Fallback at the TS server (docs/traffic-modes.md, "Fallback"): when the plan has `fallback` (TS
 * answers an idempotent request on a route with `fallback: true`) and the handler throws, rejects or
 * stays silent past the deadline before its first byte, the request is forwarded to legacy and the user
 * gets legacy's answer, marked, logged and counted. A status the handler returns (a 500 or 503 on
 * purpose) or an HTTPException it throws is an answer, not a failure: it goes out as it would without a
 * fallback. Once a byte is out nothing falls back; a failure then cuts the connection (the error
 * handler of ./app.ts).
 *
 * The body: a handler reads the request's body and the proxy would then have none to send, so a body
 * (a PUT's, a DELETE's) is read whole before the handler runs, up to {@link FALLBACK_MAX_BODY_BYTES};
 * a larger body or one of unannounced length (chunked: both front doors send a length) gets no
 * fallback, and the request goes to the handler as it would without one.
 *
 * @example
 * const fallback = createFallback({ proxy, logger, timeoutMs: 30_000, onFallback: (route, reason) => recorder.fallback(route, 'ts', reason) });
 * const body = await fallback.bodyFor(incoming); // undefined: no fallback for this request
 */
import type { IncomingMessage } from 'node:http';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from '../log/index.ts';
import { readWholeBody } from '../proxy/body-limit.ts';

/** The largest request body read ahead so that the request can still go to legacy. */
export const FALLBACK_MAX_BODY_BYTES = 1024 * 1024;

/** Why a request fell back at the TS server: the handler failed, or said nothing for too long. */
export type FallbackReason = 'ts-error' | 'ts-timeout';

export interface FallbackOptions {
  readonly logger: Logger;
  /** How long a handler may take to its response head before legacy answers instead. */
  readonly timeoutMs: number;
  /** Called once per request that fell back (the evidence recorder and the metrics count it). */
  readonly onFallback?: (route: string, reason: FallbackReason) => void;
}

/** How a handler's attempt went: its answer, or why legacy must answer instead. */
export type Attempt = { readonly ok: true; readonly response: Response } | { readonly ok: false; readonly reason: FallbackReason; readonly err: unknown };

export interface Fallback {
  /**
   * The request's body read whole when it may fall back: an empty buffer for a request without one,
   * undefined when it cannot (too large, unannounced length) and must go to the handler as it is.
   */
  bodyFor(incoming: IncomingMessage): Promise<Buffer | undefined>;
  /**
   * Run the handler with the deadline. `started()` tells whether a byte is out (a stream opened): then
   * a failure is the handler's, not a fallback. Rejects with the handler's error in that case.
   */
  attempt(run: () => Promise<Response>, started: () => boolean): Promise<Attempt>;
  /** Count and log a request that falls back. */
  record(route: string, requestId: string, reason: FallbackReason, err: unknown): void;
}

/** Raised to a handler that opens a stream after legacy took its request over. */
export class FallenBackError extends Error {
  override readonly name = 'FallenBackError';
  constructor() {
    super('legacy answered this request already (fallback after the deadline); the handler answered too late');
  }
}

export function createFallback({ logger, timeoutMs, onFallback }: FallbackOptions): Fallback {
  return {
    async bodyFor(incoming) {
      if (incoming.headers['transfer-encoding'] !== undefined) return undefined;
      const announced = Number(incoming.headers['content-length'] ?? 0);
      if (!Number.isFinite(announced) || announced > FALLBACK_MAX_BODY_BYTES) return undefined;
      if (announced === 0) return Buffer.alloc(0);
      return readWholeBody(incoming, FALLBACK_MAX_BODY_BYTES);
    },
    attempt(run, started) {
      return new Promise<Attempt>((resolve, reject) => {
        let settled = false;
        const timer = setTimeout(() => {
          if (settled || started()) return;
          settled = true;
          resolve({ ok: false, reason: 'ts-timeout', err: new Error(`the handler gave no answer within ${timeoutMs} ms`) });
        }, timeoutMs);
        run().then(
          (response) => {
            clearTimeout(timer);
            if (settled) {
              // Legacy answered already: the late answer is dropped.
              void response.body?.cancel().catch(() => undefined);
              return;
            }
            settled = true;
            resolve({ ok: true, response });
          },
          (err: unknown) => {
            clearTimeout(timer);
            if (settled) return;
            settled = true;
            // An HTTP error thrown on purpose is the handler's answer, as without a fallback.
            if (started() || err instanceof HTTPException) reject(err);
            else resolve({ ok: false, reason: 'ts-error', err });
          },
        );
      });
    },
    record(route, requestId, reason, err) {
      logger.warn({ event: 'fallback', request_id: requestId, route, door: 'ts', reason, err }, `the handler failed before its first byte (${reason}); legacy answers`);
      onFallback?.(route, reason);
    },
  };
}
