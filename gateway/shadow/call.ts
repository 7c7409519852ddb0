/**
 * The TS handler called in-process with a copy of the request, as the dispatch calls it for a route in
 * mode `next`, plus `X-Strangler-Shadow: 1`; its answer read in full up to a cap, all within a time
 * limit. A throw, a rejection, a hang or a broken body is a result (`failed`), never an exception.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Captured } from '../compare/index.ts';
import { withRequestDeadline } from '../internal/caller.ts';
import type { ServiceBindings } from '../server/service.ts';
import { readAnswer } from './capture.ts';
import { SHADOW_HEADER } from './header.ts';

/** What the runner needs of a mounted service: its fetch. */
export interface ShadowHandler {
  fetch(request: Request, env: ServiceBindings): Response | Promise<Response>;
}

export interface HandlerCall {
  readonly method: string;
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer | null;
  readonly requestId: string;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
}

export type CallResult = { readonly kind: 'answered'; readonly ms: number; readonly answer: Captured } | { readonly kind: 'failed'; readonly ms: number; readonly reason: string };

export interface RunningCall {
  /** The answer, or `failed` once the handler threw or the time limit passed. */
  readonly result: Promise<CallResult>;
  /** Once the handler's work has really ended (after a time-out, possibly much later). */
  readonly settled: Promise<void>;
}

// Headers a Fetch Request may not carry or that describe the client's connection, not the request.
const DROPPED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'expect', 'upgrade', 'te', 'trailer', 'proxy-connection']);

/**
 * @example
 * const call = callHandler(service, { method: 'GET', target: '/api/v1/boards/general/threads', headers, body: null, requestId, timeoutMs: 60_000, maxBodyBytes: 262_144 });
 * (await call.result).kind; // 'answered'
 */
export function callHandler(handler: ShadowHandler, call: HandlerCall): RunningCall {
  const startedAt = performance.now();
  const ms = (): number => Math.round((performance.now() - startedAt) * 1000) / 1000;
  const work = (async (): Promise<Captured> => {
    const request = new Request(new URL(call.target, originOf(call.headers)), {
      // A HEAD reaches a service as GET with the client's method beside it, as the dispatch does.
      method: call.method === 'HEAD' ? 'GET' : call.method,
      headers: headersOf(call.headers),
      ...(call.body !== null && call.method !== 'GET' && call.method !== 'HEAD' ? { body: new Uint8Array(call.body) } : {}),
    });
    const res = await withRequestDeadline(Date.now() + call.timeoutMs, async () => handler.fetch(request, { requestId: call.requestId, clientMethod: call.method }));
    return readAnswer(res, call.maxBodyBytes, call.method);
  })();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<CallResult>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'failed', ms: ms(), reason: `no answer within ${call.timeoutMs} ms` }), call.timeoutMs);
    timer.unref();
  });
  const answered = work.then(
    (answer): CallResult => ({ kind: 'answered', ms: ms(), answer }),
    (err: unknown): CallResult => ({ kind: 'failed', ms: ms(), reason: err instanceof Error ? err.message : String(err) }),
  );
  const result = Promise.race([answered, timedOut]).finally(() => clearTimeout(timer));
  return { result, settled: answered.then(() => undefined) };
}

function originOf(headers: IncomingHttpHeaders): string {
  try {
    return new URL(`http://${headers.host ?? 'localhost'}`).origin;
  } catch {
    return 'http://localhost';
  }
}

function headersOf(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || DROPPED.has(name)) continue;
    try {
      for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
    } catch {
      // A value Fetch refuses (a control character Node let through) is left out of the copy.
    }
  }
  headers.set(SHADOW_HEADER, '1');
  return headers;
}
