/**
 * A route's evidence on one line, for `strangler status`.
 *
 * @example
 * summary(store.window('/api/v1/threads', since));
 * // 'parity 99.6% (n=1,204, ub 0.8%) · shadow dropped 3 · ts 310 req 0.0% err p50 4 ms p99 21 ms · legacy 2,890 req 0.1% err p50 9 ms p99 40 ms · fallbacks 0'
 */
import { count, ms, percent } from './format.ts';
import type { RouteEvidence, SideStats } from './types.ts';

export function summary(evidence: RouteEvidence): string {
  const { comparisons: c, shadow, sides, fallbacks } = evidence;
  const parity = c.total === 0 ? 'parity — (n=0)' : `parity ${percent(1 - c.mismatchRate)} (n=${count(c.total)}, ub ${percent(c.upperBound)})`;
  const lost = [`shadow dropped ${count(shadow.droppedConcurrency)}`];
  if (shadow.tooLarge > 0) lost.push(`too large ${count(shadow.tooLarge)}`);
  if (shadow.failed > 0) lost.push(`failed ${count(shadow.failed)}`);
  return [parity, lost.join(', '), side('ts', sides.ts), side('legacy', sides.legacy), `fallbacks ${count(fallbacks.total)}`].join(' · ');
}

function side(name: string, stats: SideStats): string {
  if (stats.requests === 0) return `${name} —`;
  return `${name} ${count(stats.requests)} req ${percent(stats.errorRate)} err p50 ${ms(stats.p50Ms!)} p99 ${ms(stats.p99Ms!)}`;
}
