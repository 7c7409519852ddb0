/**
 * The shadow runner: for a request legacy answers while its route's TS handler is on trial (shadow mode,
 * and canary for the users legacy answers), copy legacy's answer as it streams to the client, then call
 * the handler in-process with the same request and `X-Strangler-Shadow: 1`, read its answer (capped) and
 * compare the two. The user never waits for any of it, and nothing the handler does (throw, hang, answer
 * garbage) reaches the user. Load is bounded per route: a sample rate, a cap on copies in flight per
 * process, a body-size cap; every copy not made is counted, never silently lost.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Captured } from '../compare/index.ts';
import type { EvidenceRecorder } from '../evidence/index.ts';
import type { Logger } from '../log/index.ts';
import type { ForwardOutcome } from '../proxy/index.ts';
import type { Plan } from '../server/plan.ts';
import { admit, createSlots } from './admit.ts';
import { captureResponse, copyBody, type CopiedBody } from './capture.ts';
import { createJudge } from './judge.ts';
import type { AskLegacyAgain } from './legacy-again.ts';
import { callHandler, type RunningCall, type ShadowHandler } from './call.ts';

export type { ShadowHandler } from './call.ts';

/** When the handler's copy starts: once legacy's answer is out (default), or beside it. */
export const SHADOW_STARTS = ['after-answer', 'parallel'] as const;
export type ShadowStart = (typeof SHADOW_STARTS)[number];

export interface ShadowRunnerOptions {
  readonly recorder: Pick<EvidenceRecorder, 'shadow' | 'comparison' | 'noiseCheck'>;
  readonly logger: Logger;
  /** Legacy asked a second time, for noise (./legacy-again.ts). */
  readonly askLegacyAgain: AskLegacyAgain;
  /** Longest a handler may take to answer in full (the route table's proxy timeout); longer: `failed`. */
  readonly timeoutMs: number;
  readonly start?: ShadowStart;
  /** In [0, 1): sampling and noise draws (tests fix it). */
  readonly random?: () => number;
}

/** One request legacy answers, as the dispatch knows it. */
export interface ShadowRequest {
  readonly plan: Plan;
  readonly method: string;
  /** Path and query as sent to legacy (and to the handler). */
  readonly target: string;
  readonly incoming: IncomingMessage;
  readonly requestId: string;
  /** The mounted service `plan.shadow.handler` names. */
  readonly handler: ShadowHandler | undefined;
  /** Legacy's base URL, for the second ask. */
  readonly legacyUrl: string;
}

/** A copy under way: hand `onResponse` to the proxy, and call `done` with its outcome. */
export interface ShadowCopy {
  onUpstreamRequest(proxyReq: ClientRequest): void;
  onResponse(proxyRes: IncomingMessage): void;
  done(outcome: ForwardOutcome): void;
}

export interface ShadowRunner {
  /** Start a copy for a request legacy is about to answer; null when none is made (counted why, where it counts). */
  begin(request: ShadowRequest): ShadowCopy | null;
  /** Copies in flight on a route in this process. */
  inFlight(route: string): number;
  /** Resolves once no copy is in flight (tests, shutdown). */
  idle(): Promise<void>;
  /** Shutdown: copies still running get up to `graceMs` to record what they found; then resolves. */
  close(graceMs: number): Promise<void>;
}

/**
 * @example
 * const shadows = createShadowRunner({ recorder, logger, askLegacyAgain: createLegacyAgain(proxy.agent), timeoutMs: 60_000 });
 * const copy = shadows.begin({ plan, method, target, incoming, requestId, handler, legacyUrl });
 * const outcome = await proxy.forward(incoming, outgoing, legacy, { onResponse: copy?.onResponse });
 * copy?.done(outcome);
 */
export function createShadowRunner(options: ShadowRunnerOptions): ShadowRunner {
  const { recorder, logger, askLegacyAgain, timeoutMs, start = 'after-answer', random = Math.random } = options;
  const slots = createSlots();
  const { judge } = createJudge({ recorder, logger, askLegacyAgain, random });

  function begin(request: ShadowRequest): ShadowCopy | null {
    const { plan, method, incoming, handler } = request;
    const { route } = plan;
    const admitted = admit(plan, method, incoming, handler !== undefined, { recorder, slots, random });
    if (admitted === null || handler === undefined) return null;
    const { hasBody } = admitted;
    const { maxBodyBytes } = route.shadow;
    // The request body as the proxy reads it (a listener beside its pipe), for the handler's copy.
    const requestBody: Promise<CopiedBody | null> = hasBody ? copyBody(incoming, maxBodyBytes) : Promise.resolve(null);
    const headers = { ...incoming.headers };
    let legacyAnswer: Promise<Captured | null> = Promise.resolve(null);
    const callTs = (body: Buffer | null) => callHandler(handler, { method, target: request.target, headers, body, requestId: request.requestId, timeoutMs, maxBodyBytes });
    // Beside legacy: once the request to legacy is out, the copy runs while legacy works on it. Only a
    // copy with no body can start before legacy has read the body.
    let early: RunningCall | null = null;
    const startEarly = (): void => {
      if (early === null) early = callTs(null);
    };
    return {
      onUpstreamRequest(proxyReq) {
        if (start !== 'parallel' || hasBody) return;
        // Once the request is on the wire: on a new connection that is after the connect, not when the
        // request was merely queued on the socket (the copy would then hold up the connect itself).
        proxyReq.once('finish', () =>
          setImmediate(() => {
            const socket = proxyReq.socket;
            if (socket?.connecting) socket.once('connect', () => setImmediate(startEarly));
            else startEarly();
          }),
        );
      },
      onResponse(proxyRes) {
        legacyAnswer = captureResponse(proxyRes, maxBodyBytes, method);
      },
      done(outcome) {
        // After this turn of the event loop: the access line and the next request on the socket come first.
        setImmediate(() => {
          void finish(request, outcome, legacyAnswer, requestBody, early, callTs)
            .catch((err: unknown) => logger.error({ event: 'shadow_error', request_id: request.requestId, route: route.path, err }, 'the shadow copy failed unexpectedly'))
            .finally(() => slots.release(route.path));
        });
      },
    };
  }

  async function finish(
    request: ShadowRequest,
    outcome: ForwardOutcome,
    legacyAnswer: Promise<Captured | null>,
    requestBody: Promise<CopiedBody | null>,
    early: RunningCall | null,
    callTs: (body: Buffer | null) => RunningCall,
  ): Promise<void> {
    const { plan } = request;
    const { route } = plan;
    const legacy = await legacyAnswer;
    // Legacy failed or the client left: there is no answer to compare with (the access log counts it).
    if (outcome.failure !== null || legacy === null) {
      await early?.settled;
      return;
    }
    const body = await requestBody;
    if (legacy.truncated || body?.truncated === true) {
      recorder.shadow(route.path, 'too-large');
      await early?.settled;
      return;
    }
    if (body !== null && !body.complete) return;
    const copy = {
      route,
      revision: plan.revision,
      method: request.method,
      target: request.target,
      headers: request.incoming.headers,
      requestId: request.requestId,
      legacyUrl: request.legacyUrl,
      legacy,
      timeoutMs,
    };
    await judge(copy, early ?? callTs(body?.body ?? null));
  }

  return {
    begin,
    inFlight: slots.inFlight,
    idle: slots.idle,
    close: (graceMs) => Promise.race([slots.idle(), new Promise<void>((done) => setTimeout(done, graceMs).unref())]),
  };
}
