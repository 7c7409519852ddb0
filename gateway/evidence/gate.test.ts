import { describe, expect, it } from 'vitest';
import { demotionCheck, gateVerdict, summary, wilsonInterval, type GateSettings, type RouteEvidence, type SideStats } from './index.ts';

const GATE: GateSettings = {
  minComparisons: 381,
  maxMismatchPercent: 1,
  maxErrorRatio: 1,
  maxP99Ratio: 1.5,
  minRequests: 100,
  windowS: 3600,
  demoteErrorPercent: 5,
  demoteMinRequests: 20,
  demoteWindowS: 60,
  demoteTo: 'legacy',
};

const side = (requests: number, errors: number, p50Ms: number | null, p99Ms: number | null): SideStats => ({
  requests,
  errors,
  errorRate: requests === 0 ? 0 : errors / requests,
  p50Ms,
  p99Ms,
});

/** Evidence as the store would give it, with the Wilson bounds computed from the counts. */
function evidence({ compared = 0, mismatched = 0, legacy = side(0, 0, null, null), ts = side(0, 0, null, null), fallbacks = 0, dropped = 0 } = {}): RouteEvidence {
  const { lower, upper } = wilsonInterval(mismatched, compared);
  return {
    route: '/x',
    since: 0,
    until: 60_000,
    comparisons: {
      total: compared,
      matches: compared - mismatched,
      mismatches: mismatched,
      noise: 0,
      mismatchRate: compared === 0 ? 0 : mismatched / compared,
      lowerBound: lower,
      upperBound: upper,
    },
    shadow: { sent: compared + dropped, droppedConcurrency: dropped, skippedSample: 0, skippedMethod: 0, tooLarge: 0, failed: 0, p50Ms: null, p99Ms: null },
    sides: { legacy, ts },
    fallbacks: { total: fallbacks, byDoor: fallbacks > 0 ? { edge: fallbacks } : {}, byReason: {} },
    noise: { checks: 0, noisyPaths: [], stablePaths: [] },
  };
}

const busy = { legacy: side(1000, 2, 9, 130), ts: side(200, 0, 4, 21) };

describe('the gate', () => {
  it('always lets a route into shadow, and says what it knows', () => {
    const verdict = gateVerdict('shadow', evidence({ compared: 10, mismatched: 9 }), GATE);
    expect(verdict.verdict).toBe('pass');
    expect(verdict.reasons).toEqual(['pass: shadow costs users nothing (legacy still answers every request)', 'note: 10 comparisons so far (9 mismatched)']);
  });

  it('finds too few comparisons inconclusive, never a pass, even with no mismatch', () => {
    expect(gateVerdict('canary', evidence({ compared: 37 }), GATE)).toEqual({
      verdict: 'inconclusive',
      reasons: ['inconclusive: 37 comparisons of the 381 needed; send traffic or wait'],
    });
    expect(gateVerdict('canary', evidence({ compared: 0 }), { ...GATE, minComparisons: 0 }).verdict).toBe('inconclusive');
  });

  it('passes a perfect record at the minimum the defaults set, not one below it', () => {
    expect(gateVerdict('canary', evidence({ compared: 381 }), GATE)).toEqual({
      verdict: 'pass',
      reasons: ['pass: mismatch rate 0.0% (upper bound 1.0%) within the limit 1% over 381 comparisons'],
    });
    // 0 of 200 has an upper bound of 1.9%: with min_comparisons 200 a perfect record still cannot pass 1%.
    expect(gateVerdict('canary', evidence({ compared: 200 }), { ...GATE, minComparisons: 200 }).verdict).toBe('inconclusive');
  });

  it('fails a mismatch rate whose lower bound is above the limit, pointing at strangler diff', () => {
    const verdict = gateVerdict('canary', evidence({ compared: 1000, mismatched: 41 }), GATE);
    expect(verdict).toEqual({
      verdict: 'fail',
      reasons: ['fail: mismatch rate 4.1% (upper bound 5.5%, lower 3.0%) above the limit 1% over 1,000 comparisons: see `strangler diff /x`'],
    });
    expect(gateVerdict('canary', evidence({ compared: 20, mismatched: 20 }), GATE).verdict).toBe('fail');
  });

  it('finds a bound that straddles the limit inconclusive', () => {
    const verdict = gateVerdict('canary', evidence({ compared: 400, mismatched: 2 }), GATE);
    expect(verdict.verdict).toBe('inconclusive');
    expect(verdict.reasons[0]).toBe(
      'inconclusive: mismatch rate 0.5% but its upper bound 1.8% is above the limit 1% over 400 comparisons; more comparisons narrow it, or see `strangler diff /x`',
    );
  });

  it('needs canary traffic on both sides before next', () => {
    const verdict = gateVerdict('next', evidence({ compared: 500, legacy: side(1000, 0, 9, 40), ts: side(12, 0, 4, 20) }), GATE);
    expect(verdict).toEqual({
      verdict: 'inconclusive',
      reasons: [
        'pass: mismatch rate 0.0% (upper bound 0.8%) within the limit 1% over 500 comparisons',
        'inconclusive: TS answered 12 requests of the 100 needed (canary traffic); raise the percent or wait',
      ],
    });
    expect(gateVerdict('next', evidence({ compared: 500, legacy: side(50, 0, 9, 40), ts: side(500, 0, 4, 20) }), GATE).reasons[1]).toMatch(
      /^inconclusive: legacy answered 50 requests of the 100 needed/,
    );
  });

  it('passes next when parity, errors and p99 all hold', () => {
    const verdict = gateVerdict('next', evidence({ compared: 500, ...busy }), GATE);
    expect(verdict).toEqual({
      verdict: 'pass',
      reasons: [
        'pass: mismatch rate 0.0% (upper bound 0.8%) within the limit 1% over 500 comparisons',
        "pass: TS error rate 0.0% within the limit 0.7% (legacy's 0.2% x 1 + 0.5 points) over 200 requests",
        "pass: TS p99 21 ms is 0.2x legacy's 130 ms (limit 1.5x)",
      ],
    });
  });

  it('fails next on a TS p99 over the ratio, saying by how much', () => {
    const verdict = gateVerdict('next', evidence({ compared: 500, legacy: busy.legacy, ts: side(200, 0, 30, 312) }), GATE);
    expect(verdict.verdict).toBe('fail');
    expect(verdict.reasons).toContain("fail: TS p99 312 ms is 2.4x legacy's 130 ms (limit 1.5x)");
  });

  it('fails next on a TS error rate clearly over legacy, and is inconclusive when it is not yet clear', () => {
    const clear = gateVerdict('next', evidence({ compared: 500, legacy: busy.legacy, ts: side(200, 10, 4, 21) }), GATE);
    expect(clear.verdict).toBe('fail');
    expect(clear.reasons[1]).toBe("fail: TS error rate 5.0% (10 of 200, lower bound 2.7%) above the limit 0.7% (legacy's 0.2% x 1 + 0.5 points): see the TS server's log for /x");
    const unclear = gateVerdict('next', evidence({ compared: 500, legacy: busy.legacy, ts: side(200, 2, 4, 21) }), GATE);
    expect(unclear.verdict).toBe('inconclusive');
    expect(unclear.reasons[1]).toMatch(/^inconclusive: TS error rate 1\.0% is above the limit 0\.7% .* but its lower bound 0\.3% is not; more requests decide$/);
  });

  it('takes the worst check: a failing p99 beats inconclusive parity', () => {
    const verdict = gateVerdict('next', evidence({ compared: 10, legacy: busy.legacy, ts: side(200, 0, 30, 400) }), GATE);
    expect(verdict.verdict).toBe('fail');
    expect(verdict.reasons[0]).toMatch(/^inconclusive: 10 comparisons/);
  });

  it('notes shadow copies that were not compared and fallbacks', () => {
    const verdict = gateVerdict('canary', evidence({ compared: 500, dropped: 30, fallbacks: 2 }), GATE);
    expect(verdict.verdict).toBe('pass');
    expect(verdict.reasons.slice(1)).toEqual([
      'note: 30 shadow copies not compared (dropped at the concurrency cap 30, too large 0, failed 0); the parity figure covers the rest',
      'note: 2 requests fell back to legacy in the window',
    ]);
  });
});

describe('the demotion check', () => {
  it('demotes on TS errors plus fallbacks over the share, saying why and where to', () => {
    expect(demotionCheck(evidence({ ts: side(41, 3, 4, 20), fallbacks: 9 }), GATE)).toEqual({
      demote: true,
      to: 'legacy',
      reason: 'TS errors 3 and fallbacks 9 are 24.0% of 50 TS requests in the last 60 s (limit 5%); demoting to legacy',
    });
    expect(demotionCheck(evidence({ ts: side(0, 0, null, null), fallbacks: 25 }), { ...GATE, demoteTo: 'shadow' })).toMatchObject({ demote: true, to: 'shadow' });
  });

  it('does not demote below the minimum of requests or at the limit', () => {
    expect(demotionCheck(evidence({ ts: side(10, 9, 4, 20), fallbacks: 9 }), GATE)).toEqual({ demote: false });
    expect(demotionCheck(evidence({ ts: side(100, 5, 4, 20) }), GATE)).toEqual({ demote: false });
    expect(demotionCheck(evidence({ ts: side(100, 6, 4, 20) }), GATE).demote).toBe(true);
    expect(demotionCheck(evidence(), { ...GATE, demoteMinRequests: 0 })).toEqual({ demote: false });
  });
});

describe('the one-line summary', () => {
  it('shows parity, shadow losses, both sides and fallbacks', () => {
    const line = summary(evidence({ compared: 1204, mismatched: 5, dropped: 3, legacy: side(2890, 3, 9, 40), ts: side(310, 0, 4.04, 21.2) }));
    expect(line).toBe('parity 99.6% (n=1,204, ub 1.0%) · shadow dropped 3 · ts 310 req 0.0% err p50 4 ms p99 21 ms · legacy 2,890 req 0.1% err p50 9 ms p99 40 ms · fallbacks 0');
  });

  it('says plainly when there is nothing yet', () => {
    expect(summary(evidence())).toBe('parity — (n=0) · shadow dropped 0 · ts — · legacy — · fallbacks 0');
  });
});
