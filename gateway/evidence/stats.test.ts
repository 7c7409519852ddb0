import { describe, expect, it } from 'vitest';
import { HISTOGRAM_LAST, HISTOGRAM_MAX_MS, HISTOGRAM_MIN_MS, addToHistogram, bucketOf, percentileMs } from './histogram.ts';
import { trialsToPassAtZero, wilsonInterval } from './wilson.ts';

describe('the Wilson score interval', () => {
  // Published values (Newcombe 1998, method 3) and 1.96² / (n + 1.96²) for zero successes.
  it.each([
    [0, 10, 0, 0.2775],
    [1, 10, 0.0179, 0.4042],
    [5, 100, 0.0215, 0.1118],
    [0, 200, 0, 0.0188],
    [41, 1000, 0.0304, 0.0551],
  ])('gives %i of %i the bounds %f to %f', (k, n, lower, upper) => {
    const interval = wilsonInterval(k, n);
    expect(interval.lower).toBeCloseTo(lower, 4);
    expect(interval.upper).toBeCloseTo(upper, 4);
  });

  it('knows nothing of no trials: [0, 1]', () => {
    expect(wilsonInterval(0, 0)).toEqual({ lower: 0, upper: 1 });
  });

  it('lets 0 of 200 NOT pass a 1% limit, and needs 381 trials for a perfect record to pass it', () => {
    expect(wilsonInterval(0, 200).upper).toBeGreaterThan(0.01);
    expect(trialsToPassAtZero(0.01)).toBe(381);
    expect(wilsonInterval(0, 381).upper).toBeLessThanOrEqual(0.01);
    expect(wilsonInterval(0, 380).upper).toBeGreaterThan(0.01);
    expect(trialsToPassAtZero(0.02)).toBe(189);
    expect(wilsonInterval(0, 189).upper).toBeLessThanOrEqual(0.02);
    expect(wilsonInterval(0, 188).upper).toBeGreaterThan(0.02);
  });
});

/** A seeded generator, so the distribution is the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the latency histogram', () => {
  it('puts every duration in a bucket whose edges hold it, with the ends open', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(-3)).toBe(0);
    expect(bucketOf(Number.NaN)).toBe(0);
    expect(bucketOf(HISTOGRAM_MIN_MS)).toBe(1);
    expect(bucketOf(HISTOGRAM_MAX_MS)).toBe(HISTOGRAM_LAST);
    expect(bucketOf(10 * HISTOGRAM_MAX_MS)).toBe(HISTOGRAM_LAST);
    let previous = 0;
    for (let ms = HISTOGRAM_MIN_MS; ms < HISTOGRAM_MAX_MS; ms *= 1.013) {
      const bucket = bucketOf(ms);
      expect(bucket).toBeGreaterThanOrEqual(previous);
      expect(HISTOGRAM_MIN_MS * 1.1 ** (bucket - 1)).toBeLessThanOrEqual(ms * (1 + 1e-12));
      expect(HISTOGRAM_MIN_MS * 1.1 ** bucket).toBeGreaterThan(ms * (1 - 1e-12));
      previous = bucket;
    }
  });

  it('reads p50 and p99 of a log-normal sample of 20,000 within 5% of the exact values', () => {
    const random = mulberry32(42);
    const durations: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      durations.push(Math.exp(Math.log(12) + 1.1 * normal)); // median 12 ms, a long tail
    }
    const counts = new Map<number, number>();
    for (const ms of durations) addToHistogram(counts, ms);
    const sorted = [...durations].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      expect(Math.abs(percentileMs(counts, q)! / exact - 1)).toBeLessThan(0.05);
    }
  });

  it('has no percentile when nothing was counted', () => {
    expect(percentileMs(new Map(), 0.5)).toBeNull();
  });
});
