/**
 * The shapes a benchmark run is made of: what a scenario is, what it measures and what it reports.
 * Everything here ends up in `bench/results/latest.json`, so it stays plain data.
 */
import type { BenchContext } from './context.ts';

/** One load run against one URL. */
export interface LoadResult {
  readonly driver: 'wrk' | 'autocannon';
  readonly seconds: number;
  readonly connections: number;
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Answers outside 2xx (3xx included, as wrk counts them). */
  readonly non2xx: number;
  /** Connect, read, write errors and timeouts. */
  readonly socketErrors: number;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** What a configuration was measured as: part of a ratio, or the limit a reader compares against. */
export type ConfigurationRole = 'measured' | 'ceiling';

/** One configuration of a scenario with every run of it, in round order. */
export interface ConfigurationResult {
  readonly name: string;
  readonly label: string;
  readonly role: ConfigurationRole;
  readonly url: string;
  readonly connections: number;
  readonly runs: readonly LoadResult[];
  readonly rps: Spread;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** non-2xx answers plus socket errors over all runs (non-2xx not counted where `expectedStatus` is set). */
  readonly errors: number;
  /** Set when the configuration answers a non-2xx on purpose (the front door's own 404). */
  readonly expectedStatus?: number;
}

/** A goal: `value op target`, e.g. a throughput ratio `>= 5`. */
export interface Goal {
  readonly op: '>=' | '<=';
  readonly target: number;
  readonly unit: '×' | 'ms' | 'KiB' | 'MiB' | '';
}

/** One figure of a scenario held against its goal. */
export interface Check {
  readonly label: string;
  readonly value: number;
  readonly unit: Goal['unit'];
  /** The figure's spread over the rounds (each round's own ratio or difference). */
  readonly spread?: { readonly min: number; readonly max: number };
  /** No goal: reported only (the issue asks for the figure, not a bound). */
  readonly goal: Goal | null;
  readonly met: boolean | null;
}

/** What a scenario's run returns. */
export interface ScenarioResult {
  readonly configurations: readonly ConfigurationResult[];
  readonly checks: readonly Check[];
  /** Other measured numbers worth keeping (a writer's achieved commit rate, a render time). */
  readonly facts?: Readonly<Record<string, number | string>>;
  readonly notes?: readonly string[];
}

/**
 * A benchmark scenario: one file under `bench/scenarios/`, registered in `bench/scenarios/index.ts`.
 *
 * @example
 * export const honoTax: Scenario = { name: 'hono-tax', title: 'Hono adapter tax', goal: '≥ 0.75×', run: async (ctx) => ({ configurations, checks }) };
 */
export interface Scenario {
  /** kebab-case, used by `--only`. */
  readonly name: string;
  readonly title: string;
  /** The goal, as a reader sees it. */
  readonly goal: string;
  /** What is measured against what, in one line. */
  readonly measuredAs: string;
  /** Why it cannot run on this machine (nginx missing), or null; the report says it was skipped and why. */
  unavailable?(ctx: BenchContext): string | null;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}

/** A scenario whose feature has not landed yet: listed in the results, never measured. */
export interface PendingScenario {
  readonly name: string;
  readonly title: string;
  readonly goal: string;
  readonly measuredAs: string;
  readonly reason: string;
}

export type ScenarioStatus = 'measured' | 'not landed' | 'skipped' | 'failed';

export interface ScenarioReport extends Partial<ScenarioResult> {
  readonly name: string;
  readonly title: string;
  readonly goal: string;
  readonly measuredAs: string;
  readonly status: ScenarioStatus;
  readonly reason?: string;
  readonly seconds?: number;
}

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly versions: Readonly<Record<string, string>>;
}

export interface BenchReport {
  readonly date: string;
  readonly mode: 'quick' | 'full';
  readonly command: string;
  /** The commit measured, and whether the working tree differed from it. */
  readonly revision: string;
  readonly machine: MachineInfo;
  readonly settings: Readonly<Record<string, number | string>>;
  readonly seconds: number;
  readonly scenarios: readonly ScenarioReport[];
}
