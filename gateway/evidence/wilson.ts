/**
 * The Wilson score interval for a proportion (Wilson 1927): unlike the normal approximation it stays
 * inside [0, 1] and is honest at 0 successes, which is exactly where a gate decides ("0 mismatches in
 * 200 comparisons" still allows a rate up to 1.9%).
 *
 * @example
 * wilsonInterval(0, 200); // { lower: 0, upper: 0.01884... }
 * wilsonInterval(5, 100); // { lower: 0.0215..., upper: 0.1118... }
 */

/** 95% two-sided. */
export const WILSON_Z = 1.96;

export function wilsonInterval(successes: number, trials: number, z = WILSON_Z): { lower: number; upper: number } {
  if (trials <= 0) return { lower: 0, upper: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = p + z2 / (2 * trials);
  const spread = z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return {
    lower: Math.max(0, (centre - spread) / denominator),
    upper: Math.min(1, (centre + spread) / denominator),
  };
}

/**
 * The fewest trials for which 0 successes has an upper bound at or below `limit` (a fraction): the
 * smallest min_comparisons that lets a perfect record pass a max_mismatch_percent of limit * 100.
 * With 0 successes the upper bound is z² / (n + z²), so n >= z² (1 - limit) / limit.
 *
 * @example
 * trialsToPassAtZero(0.01); // 381
 */
export function trialsToPassAtZero(limit: number, z = WILSON_Z): number {
  return Math.ceil((z * z * (1 - limit)) / limit - 1e-9);
}
