/**
 * What happens to a copy once legacy's answer is in hand, wherever the copy runs (in the serving process or
 * in the shadow child): the handler's answer is awaited, counted, legacy asked again for a share of safe
 * requests (noise), the two answers compared and the outcome recorded with a redacted sample.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { comparisonOutcome, compareAnswers, noiseBetween, redactRequest, redactResponse, stablePaths, type Captured } from '../compare/index.ts';
import type { EvidenceRecorder, Sample } from '../evidence/index.ts';
import type { Logger } from '../log/index.ts';
import type { Route } from '../routes/types.ts';
import type { RunningCall } from './call.ts';
import { SHADOW_HEADER } from './header.ts';
import type { AskLegacyAgain } from './legacy-again.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
// Noisy classes remembered per route per process: enough for any real page, bounded for a pathological one.
const MAX_NOISY_CLASSES = 1000;

/** A request legacy has answered, with its answer, ready to be judged against the handler's. */
export interface JudgedCopy {
  readonly route: Route;
  readonly revision: string;
  readonly method: string;
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
  readonly requestId: string;
  readonly legacyUrl: string;
  readonly legacy: Captured;
  readonly timeoutMs: number;
}

export interface Judge {
  /** Await the handler's call and record what it found; resolves once the handler's work has ended. */
  judge(copy: JudgedCopy, call: RunningCall): Promise<void>;
}

export interface JudgeOptions {
  readonly recorder: Pick<EvidenceRecorder, 'shadow' | 'comparison' | 'noiseCheck'>;
  readonly logger: Logger;
  readonly askLegacyAgain: AskLegacyAgain;
  /** In [0, 1): the noise draw (tests fix it). */
  readonly random: () => number;
  /**
   * Whether legacy may be asked a second time now (default: always). The shadow process asks only when it
   * has no backlog: a second ask is a request to legacy at full priority, and a backlog means there was no
   * spare CPU; asked in a burst, they made the users' p99 twice plain legacy's under load.
   */
  readonly mayAskAgain?: () => boolean;
}

/**
 * @example
 * const { judge } = createJudge({ recorder, logger, askLegacyAgain, random: Math.random });
 * await judge({ route, revision, method, target, headers, requestId, legacyUrl, legacy, timeoutMs }, callHandler(handler, call));
 */
export function createJudge(options: JudgeOptions): Judge {
  const { recorder, logger, askLegacyAgain, random, mayAskAgain = () => true } = options;
  const noisy = new Map<string, Set<string>>();

  const learnNoise = (route: string, classKeys: readonly string[]): void => {
    let known = noisy.get(route);
    if (known === undefined) noisy.set(route, (known = new Set()));
    for (const key of classKeys) if (known.size < MAX_NOISY_CLASSES) known.add(key);
  };

  async function judge(copy: JudgedCopy, call: RunningCall): Promise<void> {
    const { route, method } = copy;
    const result = await call.result;
    if (result.kind === 'failed') {
      recorder.shadow(route.path, 'failed', result.ms);
      logger.info({ event: 'shadow_failed', request_id: copy.requestId, route: route.path, reason: result.reason }, 'the shadow handler failed');
      // A handler still running past its time keeps its place: hanging handlers cannot pile up unbounded.
      return call.settled;
    }
    recorder.shadow(route.path, 'sent', result.ms, result.answer.status);
    if (result.answer.truncated) return recorder.shadow(route.path, 'too-large');
    if (SAFE.has(method.toUpperCase()) && route.shadow.noisePercent > 0 && random() * 100 < route.shadow.noisePercent && mayAskAgain()) await checkNoise(copy);
    compareAndRecord(copy, result.answer);
  }

  async function checkNoise(copy: JudgedCopy): Promise<void> {
    const { route, legacy: first } = copy;
    const second = await askLegacyAgain({
      legacyUrl: copy.legacyUrl,
      method: copy.method,
      target: copy.target,
      headers: copy.headers,
      requestId: copy.requestId,
      maxBodyBytes: route.shadow.maxBodyBytes,
      timeoutMs: copy.timeoutMs,
    });
    if (second === null || second.truncated) return;
    const differences = noiseBetween(first, second, route.compare);
    learnNoise(
      route.path,
      differences.map((d) => d.classKey),
    );
    recorder.noiseCheck(route.path, differences, stablePaths(first, second, route.compare));
  }

  function compareAndRecord(copy: JudgedCopy, ts: Captured): void {
    const { route, legacy } = copy;
    const comparison = compareAnswers(legacy, ts, route.compare);
    const outcome = comparisonOutcome(comparison, noisy.get(route.path) ?? []);
    const sample: Sample | undefined =
      outcome === 'mismatch'
        ? {
            request: redactRequest({ method: copy.method, target: copy.target, headers: { ...copy.headers, [SHADOW_HEADER]: '1' } }),
            legacy: redactResponse(legacy),
            ts: redactResponse(ts),
          }
        : undefined;
    recorder.comparison(route.path, copy.revision, outcome, comparison.differences, sample);
  }

  return { judge };
}
