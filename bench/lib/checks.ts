/**
 * Turn measured configurations into the figures the issue asks for, each against its goal. Every
 * figure is taken per round (the configurations ran back to back) and the median of the rounds is
 * reported with their spread.
 *
 * @example
 * throughputRatio('TS / legacy throughput', ts, legacy, atLeast(5));          // 10.8× (goal ≥ 5×): met
 * addedP50('added p50 of the nginx hop', viaNginx, direct, atMost(0.2, 'ms')); // 0.08 ms: met
 */
import { paired } from './stats.ts';
import type { Check, ConfigurationResult, Goal, Spread } from './types.ts';

export const atLeast = (target: number, unit: Goal['unit'] = '×'): Goal => ({ op: '>=', target, unit });
export const atMost = (target: number, unit: Goal['unit'] = '×'): Goal => ({ op: '<=', target, unit });

export function check(label: string, figure: Spread, unit: Goal['unit'], goal: Goal | null): Check {
  const met = goal === null ? null : goal.op === '>=' ? figure.median >= goal.target : figure.median <= goal.target;
  return { label, value: figure.median, unit, spread: { min: figure.min, max: figure.max }, goal, met };
}

/** a's requests per second over b's. */
export const throughputRatio = (label: string, a: ConfigurationResult, b: ConfigurationResult, goal: Goal | null): Check =>
  check(
    label,
    paired(rpsOf(a), rpsOf(b), (x, y) => x / y),
    '×',
    goal,
  );

/** b's p99 over a's: how many times shorter a's tail is. */
export const p99Ratio = (label: string, a: ConfigurationResult, b: ConfigurationResult, goal: Goal | null): Check =>
  check(
    label,
    paired(p99Of(a), p99Of(b), (x, y) => y / x),
    '×',
    goal,
  );

/** a's p50 minus b's, in milliseconds: what a hop adds. */
export const addedP50 = (label: string, a: ConfigurationResult, b: ConfigurationResult, goal: Goal | null): Check =>
  check(
    label,
    paired(p50Of(a), p50Of(b), (x, y) => x - y),
    'ms',
    goal,
  );

/** A count that must be zero (errors a client saw). */
export const noneSeen = (label: string, count: number): Check => check(label, { median: count, min: count, max: count }, '', atMost(0, ''));

const rpsOf = (c: ConfigurationResult) => c.runs.map((run) => run.rps);
const p50Of = (c: ConfigurationResult) => c.runs.map((run) => run.p50Ms);
const p99Of = (c: ConfigurationResult) => c.runs.map((run) => run.p99Ms);

/** a's p50 over b's: how many times longer a takes than b, one request at a time. */
export const p50Ratio = (label: string, a: ConfigurationResult, b: ConfigurationResult, goal: Goal | null): Check =>
  check(
    label,
    paired(p50Of(a), p50Of(b), (x, y) => x / y),
    '×',
    goal,
  );
