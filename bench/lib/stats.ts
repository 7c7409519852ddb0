/**
 * Figures over repeated runs: the median says what is typical, min and max how noisy the machine was.
 *
 * @example
 * spread([3702, 4028, 3897]); // { median: 3897, min: 3702, max: 4028 }
 */
import type { Spread } from './types.ts';

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('the median of no values is undefined; measure at least one run');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** Pair two series round by round (they were interleaved) and combine each pair, e.g. into a ratio. */
export function paired(a: readonly number[], b: readonly number[], combine: (a: number, b: number) => number): Spread {
  if (a.length !== b.length) throw new RangeError(`paired series differ in length (${a.length} and ${b.length}); both must run every round`);
  return spread(a.map((value, i) => combine(value, b[i]!)));
}

/** Nearest-rank percentile of sorted values, e.g. `percentile(sorted, 99)`; NaN for none. */
export const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
