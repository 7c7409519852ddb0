/**
 * The TS server's side of calling the other way: a JSON POST to one of legacy's internal endpoints
 * (`/_internal/legacy/...`) with the shared token, a deadline, and the request id of the request being
 * served. The deadline is the request's own (passed per call, or set for everything a request does by
 * {@link withRequestDeadline}): what is left of its budget decides how long the call may wait, so a busy
 * machine makes it slow, not failed. Outside any request, a call waits `timeoutMs`.
 * Connections are kept alive by fetch's pool; failures come back as one typed error.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { requestIdFrom } from '../request-id/index.ts';

export interface InternalCallerOptions {
  /** Origin of the side being called, e.g. `http://127.0.0.1:8090`. */
  readonly baseUrl: string;
  readonly token: string;
  /** How long a call without a deadline of its own may wait. */
  readonly timeoutMs?: number;
}

export interface InternalCallOptions {
  readonly requestId?: string;
  /** When the request being served must be answered (epoch ms, like Date.now()): the call ends by then. */
  readonly deadline?: number;
}

/** `not_found`: the other side answered 404, e.g. for a row that does not exist. */
export type InternalCallFailure = 'unavailable' | 'timeout' | 'unauthorized' | 'not_found' | 'bad_answer';

/** Why a call to the other side did not give an answer; the message names the call. */
export class InternalCallError extends Error {
  override readonly name = 'InternalCallError';
  constructor(
    readonly kind: InternalCallFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface InternalCaller {
  post<T>(path: string, body: unknown, options?: InternalCallOptions): Promise<T>;
}

const DEFAULT_TIMEOUT_MS = 2_000;
/**
 * How long one public request may wait for calls to the other side, all together: under the front
 * door's 60 s upstream timeout, so a busy machine makes a page slow rather than a 503 or a 504.
 */
export const REQUEST_BUDGET_MS = 30_000;

const deadlines = new AsyncLocalStorage<number>();

/**
 * Run `work` with a deadline (epoch ms) that every internal call made inside it, however deep, ends by,
 * unless the call passes its own: what the request being served has left decides each call's timeout.
 *
 * @example
 * return withRequestDeadline(Date.now() + REQUEST_BUDGET_MS, () => service.fetch(request));
 */
export function withRequestDeadline<T>(deadline: number, work: () => T): T {
  return deadlines.run(deadline, work);
}

/**
 * @example
 * const legacy = createInternalCaller({ baseUrl: 'http://127.0.0.1:8090', token });
 * const answer = await legacy.post<{ session: Session | null }>('/_internal/legacy/sessions/resolve', { token: cookie });
 */
export function createInternalCaller({ baseUrl, token, timeoutMs = DEFAULT_TIMEOUT_MS }: InternalCallerOptions): InternalCaller {
  return {
    async post<T>(path: string, body: unknown, { requestId, deadline }: InternalCallOptions = {}): Promise<T> {
      const call = `POST ${baseUrl}${path}`;
      const until = deadline ?? deadlines.getStore();
      const waitMs = until === undefined ? timeoutMs : Math.floor(until - Date.now());
      if (waitMs <= 0) throw new InternalCallError('timeout', `${call} was not made: the request's deadline had passed`);
      let response: Response;
      try {
        response = await fetch(baseUrl + path, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-request-id': requestIdFrom(requestId) },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(waitMs),
        });
      } catch (err) {
        const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
        if (timedOut) throw new InternalCallError('timeout', `${call} gave no answer within ${waitMs} ms`, { cause: err });
        throw new InternalCallError('unavailable', `${call} failed: ${describeCause(err)}`, { cause: err });
      }
      const text = await response.text().catch(() => '');
      if (response.status === 401) throw new InternalCallError('unauthorized', `${call} refused the token (401); both sides must have the same STRANGLER_INTERNAL_TOKEN`);
      if (response.status === 404) throw new InternalCallError('not_found', `${call} answered 404: ${text.slice(0, 200)}`);
      if (response.status !== 200) throw new InternalCallError(response.status >= 500 ? 'unavailable' : 'bad_answer', `${call} answered ${response.status}: ${text.slice(0, 200)}`);
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new InternalCallError('bad_answer', `${call} answered 200 with a body that is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
      }
    },
  };
}

function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}
