/**
 * The shadow child's work: each copy the serving process hands over is given to the named handler
 * (./call.ts, with `X-Strangler-Shadow: 1`) and judged (./judge.ts: noise, comparison, recording). The
 * child says when the handler has answered (it is alive) and when the copy is over (its place is free),
 * with what it found, which the serving process records (the child never writes the state file).
 */
import type { EvidenceRecorder } from '../evidence/index.ts';
import type { Logger } from '../log/index.ts';
import { callHandler, type ShadowHandler } from './call.ts';
import { createJudge } from './judge.ts';
import type { AskLegacyAgain } from './legacy-again.ts';
import type { CopyMessage, CountedEvent, FromChild } from './protocol.ts';

export interface ShadowChildOptions {
  readonly logger: Logger;
  readonly askLegacyAgain: AskLegacyAgain;
  /** The mounted services by name. */
  readonly handlers: ReadonlyMap<string, ShadowHandler>;
  readonly send: (message: FromChild) => void;
  readonly random?: () => number;
}

export interface ShadowChild {
  /** Run one copy; resolves once it is over (never rejects). */
  run(message: CopyMessage): Promise<void>;
  /** Resolves once no copy is running. */
  idle(): Promise<void>;
}

/**
 * @example
 * const shadowChild = createShadowChild({ logger, askLegacyAgain, handlers, send: (m) => process.send!(m) });
 * process.on('message', (m) => isCopy(m) && void shadowChild.run(m));
 */
export function createShadowChild(options: ShadowChildOptions): ShadowChild {
  const { logger, askLegacyAgain, handlers, send, random = Math.random } = options;
  let counts: CountedEvent[] = [];
  const drain = (): CountedEvent[] => {
    const out = counts;
    counts = [];
    return out;
  };
  // Everything found goes to the serving process, which records it and counts it in its metrics.
  const counting: Pick<EvidenceRecorder, 'shadow' | 'comparison' | 'noiseCheck'> = {
    shadow(route, event, ms, status) {
      counts.push({ kind: 'shadow', route, event, ...(ms === undefined ? {} : { ms }), ...(status === undefined ? {} : { status }) });
    },
    comparison(route, revision, outcome, differences, sample) {
      counts.push({ kind: 'comparison', route, revision, outcome, differences, ...(sample === undefined ? {} : { sample }) });
    },
    noiseCheck(route, differences, stable) {
      counts.push({ kind: 'noise', route, differences, ...(stable === undefined ? {} : { stable }) });
    },
  };
  let running = 0;
  let askingAgain = 0;
  // Legacy is asked again only by a child with nothing else to do: one ask at a time, none while copies queue.
  const { judge } = createJudge({ recorder: counting, logger, askLegacyAgain: countedAsks(askLegacyAgain), random, mayAskAgain: () => running <= 1 && askingAgain === 0 });

  function countedAsks(ask: AskLegacyAgain): AskLegacyAgain {
    return async (request) => {
      askingAgain++;
      try {
        return await ask(request);
      } finally {
        askingAgain--;
      }
    };
  }
  let idleWaiters: (() => void)[] = [];

  async function run(message: CopyMessage): Promise<void> {
    const { id, copy } = message;
    running++;
    try {
      const handler = handlers.get(message.handler);
      if (handler === undefined) {
        counting.shadow(copy.route.path, 'failed');
        logger.warn({ event: 'shadow_no_handler', handler: message.handler, route: copy.route.path }, `the shadow process has no service named ${message.handler}`);
        return;
      }
      const call = callHandler(handler, {
        method: copy.method,
        target: copy.target,
        headers: copy.headers,
        body: message.body,
        requestId: copy.requestId,
        timeoutMs: copy.timeoutMs,
        maxBodyBytes: copy.route.shadow.maxBodyBytes,
      });
      // After the judge's own turn on the result: a handler past its time is then counted `failed`, and
      // that count goes now, not with `done`, which waits for the handler really to end.
      void call.result.then(() => setImmediate(() => send({ kind: 'answered', id, counts: drain() })));
      await judge(copy, call);
    } catch (err) {
      logger.error({ event: 'shadow_error', request_id: copy.requestId, route: copy.route.path, err }, 'the shadow copy failed unexpectedly');
    } finally {
      send({ kind: 'done', id, counts: drain() });
      if (--running === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const wake of waiters) wake();
      }
    }
  }

  return { run, idle: () => (running === 0 ? Promise.resolve() : new Promise((wake) => idleWaiters.push(wake))) };
}
