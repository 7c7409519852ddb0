/**
 * Measure a scenario's configurations side by side: round after round, each configuration once per
 * round in the same order (A, B, A, B...), so a noisy neighbour slows both and a ratio taken within a
 * round cancels it out.
 *
 * @example
 * const [ts, legacy] = await measureInterleaved(ctx, [
 *   { name: 'ts', label: 'TS through nginx', url: `${viaTs.url}${path}` },
 *   { name: 'legacy', label: 'legacy through nginx', url: `${viaLegacy.url}${path}` },
 * ]);
 */
import type { BenchContext } from './context.ts';
import { median, spread } from './stats.ts';
import type { ConfigurationResult, ConfigurationRole, LoadResult } from './types.ts';

export interface Target {
  readonly name: string;
  readonly label: string;
  readonly url: string;
  readonly role?: ConfigurationRole;
  /** Default: the run's setting; latency runs use 1, so a figure is service time, not queueing. */
  readonly connections?: number;
  /** Sent with every request (a session cookie). */
  readonly headers?: Readonly<Record<string, string>>;
  /** A status the target answers on purpose (the front door's own 404): not counted as an error. */
  readonly expectedStatus?: number;
  /** Wraps each recorded run, e.g. to run a writer process next to it. */
  readonly around?: (run: () => Promise<LoadResult>) => Promise<LoadResult>;
}

export async function measureInterleaved(ctx: BenchContext, targets: readonly Target[]): Promise<ConfigurationResult[]> {
  const runs = targets.map((): LoadResult[] => []);
  for (let round = 1; round <= ctx.options.rounds; round++) {
    for (const [i, target] of targets.entries()) {
      const connections = target.connections ?? ctx.options.connections;
      const run = () => ctx.load(target.url, { connections, ...(target.headers ? { headers: target.headers } : {}) });
      const result = await (target.around ? target.around(run) : run());
      runs[i]!.push(result);
      const errors = errorsOf(target, [result]);
      ctx.log(
        `  round ${round}/${ctx.options.rounds} ${target.label} (${connections} conn): ${result.rps.toFixed(0)} rps, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms${errors ? `, ${errors} errors` : ''}`,
      );
    }
  }
  return targets.map((target, i) => summarize(target, runs[i]!, ctx.options.connections));
}

function summarize(target: Target, runs: readonly LoadResult[], defaultConnections: number): ConfigurationResult {
  return {
    name: target.name,
    label: target.label,
    role: target.role ?? 'measured',
    url: target.url,
    connections: target.connections ?? defaultConnections,
    runs,
    rps: spread(runs.map((run) => run.rps)),
    p50Ms: median(runs.map((run) => run.p50Ms)),
    p99Ms: median(runs.map((run) => run.p99Ms)),
    errors: errorsOf(target, runs),
    ...(target.expectedStatus === undefined ? {} : { expectedStatus: target.expectedStatus }),
  };
}

const errorsOf = (target: Target, runs: readonly LoadResult[]): number =>
  runs.reduce((sum, run) => sum + run.socketErrors + (target.expectedStatus === undefined ? run.non2xx : 0), 0);
