/**
 * The gate: may a route take its next step, on the evidence of its window? Each check passes, fails or
 * is inconclusive, with a sentence saying what it saw and what to do; the verdict is the worst of them.
 * Too little traffic is inconclusive, never a pass.
 *
 * @example
 * const evidence = store.window('/api/v1/threads', lastModeChangeMs);
 * gateVerdict('canary', evidence, route.gate);
 * // { verdict: 'inconclusive', reasons: ['inconclusive: 37 comparisons of the 381 needed; send traffic or wait'] }
 * demotionCheck(store.window('/api/v1/threads', Date.now() - route.gate.demoteWindowS * 1000), route.gate);
 * // { demote: true, to: 'legacy', reason: 'TS errors 3 and fallbacks 9 are 24.0% of 50 TS requests ...' }
 */
import { count, ms, percent, ratio } from './format.ts';
import type { GateSettings, RouteEvidence } from './types.ts';
import { wilsonInterval } from './wilson.ts';

export type GateStep = 'shadow' | 'canary' | 'next';
export type CheckOutcome = 'pass' | 'fail' | 'inconclusive';

export interface GateVerdict {
  readonly verdict: CheckOutcome;
  /** One sentence per check, each starting with its own outcome ('pass: ...'), then notes ('note: ...'). */
  readonly reasons: string[];
}

export type DemotionDecision = { readonly demote: false } | { readonly demote: true; readonly to: GateSettings['demoteTo']; readonly reason: string };

/** The error check's allowance on top of legacy's rate: a handful of errors on a quiet route is not a regression. */
export const ERROR_RATE_SLACK = 0.005;

interface Check {
  readonly outcome: CheckOutcome;
  readonly reason: string;
}

/**
 * The gate's verdict for moving a route one step: to `shadow` (always allowed: legacy still answers),
 * to `canary` (needs the shadow comparisons), to `next` (needs the comparisons and the canary's TS
 * answers: error rate and p99 against legacy's in the same window).
 */
export function gateVerdict(step: GateStep, evidence: RouteEvidence, gate: GateSettings): GateVerdict {
  const checks: Check[] = [];
  if (step === 'shadow') checks.push({ outcome: 'pass', reason: 'pass: shadow costs users nothing (legacy still answers every request)' });
  else checks.push(comparisonCheck(evidence, gate));
  if (step === 'next') checks.push(...sideChecks(evidence, gate));
  const verdict: CheckOutcome = checks.some((c) => c.outcome === 'fail') ? 'fail' : checks.some((c) => c.outcome === 'inconclusive') ? 'inconclusive' : 'pass';
  return { verdict, reasons: [...checks.map((c) => c.reason), ...notes(step, evidence)] };
}

function comparisonCheck(evidence: RouteEvidence, gate: GateSettings): Check {
  const { total, mismatches, mismatchRate, lowerBound, upperBound } = evidence.comparisons;
  const limit = gate.maxMismatchPercent / 100;
  const diff = `see \`strangler diff ${evidence.route}\``;
  if (total > 0 && lowerBound > limit) {
    return {
      outcome: 'fail',
      reason: `fail: mismatch rate ${percent(mismatchRate)} (upper bound ${percent(upperBound)}, lower ${percent(lowerBound)}) above the limit ${gate.maxMismatchPercent}% over ${count(total)} comparisons: ${diff}`,
    };
  }
  if (total < gate.minComparisons) {
    const seen = mismatches > 0 ? ` (${count(mismatches)} mismatched so far: ${diff})` : '';
    return { outcome: 'inconclusive', reason: `inconclusive: ${count(total)} comparisons of the ${count(gate.minComparisons)} needed${seen}; send traffic or wait` };
  }
  if (upperBound <= limit) {
    return {
      outcome: 'pass',
      reason: `pass: mismatch rate ${percent(mismatchRate)} (upper bound ${percent(upperBound)}) within the limit ${gate.maxMismatchPercent}% over ${count(total)} comparisons`,
    };
  }
  return {
    outcome: 'inconclusive',
    reason: `inconclusive: mismatch rate ${percent(mismatchRate)} but its upper bound ${percent(upperBound)} is above the limit ${gate.maxMismatchPercent}% over ${count(total)} comparisons; more comparisons narrow it, or ${diff}`,
  };
}

function sideChecks(evidence: RouteEvidence, gate: GateSettings): Check[] {
  const { legacy, ts } = evidence.sides;
  const short: string[] = [];
  if (ts.requests < gate.minRequests) short.push(`TS answered ${count(ts.requests)} requests of the ${count(gate.minRequests)} needed (canary traffic); raise the percent or wait`);
  if (legacy.requests < gate.minRequests)
    short.push(`legacy answered ${count(legacy.requests)} requests of the ${count(gate.minRequests)} needed to compare against; wait for traffic`);
  if (short.length > 0) return short.map((text) => ({ outcome: 'inconclusive', reason: `inconclusive: ${text}` }));
  return [errorCheck(evidence, gate), p99Check(evidence, gate)];
}

function errorCheck(evidence: RouteEvidence, gate: GateSettings): Check {
  const { legacy, ts } = evidence.sides;
  const limit = legacy.errorRate * gate.maxErrorRatio + ERROR_RATE_SLACK;
  const against = `the limit ${percent(limit)} (legacy's ${percent(legacy.errorRate)} x ${gate.maxErrorRatio} + 0.5 points)`;
  if (ts.errorRate <= limit) return { outcome: 'pass', reason: `pass: TS error rate ${percent(ts.errorRate)} within ${against} over ${count(ts.requests)} requests` };
  const { lower } = wilsonInterval(ts.errors, ts.requests);
  if (lower > limit) {
    return {
      outcome: 'fail',
      reason: `fail: TS error rate ${percent(ts.errorRate)} (${count(ts.errors)} of ${count(ts.requests)}, lower bound ${percent(lower)}) above ${against}: see the TS server's log for ${evidence.route}`,
    };
  }
  return {
    outcome: 'inconclusive',
    reason: `inconclusive: TS error rate ${percent(ts.errorRate)} is above ${against} but its lower bound ${percent(lower)} is not; more requests decide`,
  };
}

function p99Check(evidence: RouteEvidence, gate: GateSettings): Check {
  const legacyP99 = evidence.sides.legacy.p99Ms!;
  const tsP99 = evidence.sides.ts.p99Ms!;
  const text = `TS p99 ${ms(tsP99)} is ${ratio(tsP99 / legacyP99)} legacy's ${ms(legacyP99)} (limit ${gate.maxP99Ratio}x)`;
  return tsP99 <= legacyP99 * gate.maxP99Ratio ? { outcome: 'pass', reason: `pass: ${text}` } : { outcome: 'fail', reason: `fail: ${text}` };
}

/** What the checks do not judge but a developer should know before trusting them. */
function notes(step: GateStep, evidence: RouteEvidence): string[] {
  const { shadow, comparisons, fallbacks } = evidence;
  const out: string[] = [];
  if (step === 'shadow') out.push(`note: ${count(comparisons.total)} comparisons so far (${count(comparisons.mismatches)} mismatched)`);
  const lost = shadow.droppedConcurrency + shadow.tooLarge + shadow.failed;
  if (lost > 0) {
    out.push(
      `note: ${count(lost)} shadow copies not compared (dropped at the concurrency cap ${count(shadow.droppedConcurrency)}, too large ${count(shadow.tooLarge)}, failed ${count(shadow.failed)}); the parity figure covers the rest`,
    );
  }
  if (fallbacks.total > 0) out.push(`note: ${count(fallbacks.total)} requests fell back to legacy in the window`);
  return out;
}

/**
 * Should the route be demoted on its own? Over the last `demote_window_s` (the caller passes that
 * window): TS errors plus fallbacks, as a share of the requests TS was asked (answered + fell back),
 * above `demote_error_percent` with at least `demote_min_requests` of them.
 */
export function demotionCheck(evidence: RouteEvidence, gate: GateSettings): DemotionDecision {
  const { ts } = evidence.sides;
  const fellBack = evidence.fallbacks.total;
  const asked = ts.requests + fellBack;
  const bad = ts.errors + fellBack;
  if (asked < gate.demoteMinRequests || asked === 0) return { demote: false };
  const share = bad / asked;
  if (share * 100 <= gate.demoteErrorPercent) return { demote: false };
  return {
    demote: true,
    to: gate.demoteTo,
    reason: `TS errors ${count(ts.errors)} and fallbacks ${count(fellBack)} are ${percent(share)} of ${count(asked)} TS requests in the last ${gate.demoteWindowS} s (limit ${gate.demoteErrorPercent}%); demoting to ${gate.demoteTo}`,
  };
}
