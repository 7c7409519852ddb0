/**
 * Latency as counts in fixed log-spaced buckets, so minute rows from any number of processes add up and
 * a percentile over any window is read from the sums. Buckets are 1.1x apart from 0.1 ms to 120 s; a
 * percentile is reported as its bucket's geometric middle, at most sqrt(1.1) - 1 = 4.9% from the true
 * value. Bucket 0 holds everything under 0.1 ms, the last everything from 120 s up.
 *
 * @example
 * const counts = new Map<number, number>();
 * for (const ms of [3, 4, 5]) addToHistogram(counts, ms);
 * percentileMs(counts, 0.5); // ≈ 4
 */

export const HISTOGRAM_MIN_MS = 0.1;
export const HISTOGRAM_MAX_MS = 120_000;
export const HISTOGRAM_GROWTH = 1.1;
const LOG_GROWTH = Math.log(HISTOGRAM_GROWTH);
/** Buckets 1..LAST-1 are [MIN * G^(i-1), MIN * G^i); LAST is [MAX, ∞). */
export const HISTOGRAM_LAST = Math.ceil(Math.log(HISTOGRAM_MAX_MS / HISTOGRAM_MIN_MS) / LOG_GROWTH) + 1;

/** The bucket a duration falls in. */
export function bucketOf(ms: number): number {
  if (!(ms >= HISTOGRAM_MIN_MS)) return 0; // also NaN and negatives: a clock that stepped back
  if (ms >= HISTOGRAM_MAX_MS) return HISTOGRAM_LAST;
  // The floating log can put an exact edge one bucket low or high; the checks settle it on the edges.
  let i = Math.floor(Math.log(ms / HISTOGRAM_MIN_MS) / LOG_GROWTH) + 1;
  if (ms < lowerEdge(i)) i -= 1;
  else if (ms >= lowerEdge(i + 1)) i += 1;
  return Math.min(Math.max(i, 1), HISTOGRAM_LAST - 1);
}

const lowerEdge = (bucket: number): number => HISTOGRAM_MIN_MS * HISTOGRAM_GROWTH ** (bucket - 1);

/** The value a bucket stands for: the geometric middle of its edges (the edge itself at both ends). */
export function bucketValueMs(bucket: number): number {
  if (bucket <= 0) return HISTOGRAM_MIN_MS;
  if (bucket >= HISTOGRAM_LAST) return HISTOGRAM_MAX_MS;
  return lowerEdge(bucket) * Math.sqrt(HISTOGRAM_GROWTH);
}

export function addToHistogram(counts: Map<number, number>, ms: number, n = 1): void {
  const bucket = bucketOf(ms);
  counts.set(bucket, (counts.get(bucket) ?? 0) + n);
}

/**
 * The q-quantile (0 < q <= 1) by nearest rank: the value of the bucket holding the ceil(q * n)-th
 * smallest duration. null when there is nothing counted.
 */
export function percentileMs(counts: ReadonlyMap<number, number>, q: number): number | null {
  let total = 0;
  for (const n of counts.values()) total += n;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const bucket of [...counts.keys()].sort((a, b) => a - b)) {
    seen += counts.get(bucket)!;
    if (seen >= rank) return bucketValueMs(bucket);
  }
  return bucketValueMs(HISTOGRAM_LAST);
}
