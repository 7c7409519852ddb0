/**
 * The evidence store's vocabulary: what a process records (traffic, shadow copies, comparisons, noise
 * checks, fallbacks), what a reader gets back for a route over a window, and the gate settings a verdict
 * is judged against.
 */

/** A route's gate (routes.yaml `gate:`): the route table's type. */
import type { GateSettings } from '../routes/types.ts';

export type { GateSettings };

/** One difference between two answers: the comparison engine's (gateway/compare). */
import type { Difference } from '../compare/types.ts';

export type { Difference };

/** One side's answer in a mismatch sample. Bodies are cut to {@link SAMPLE_BODY_BYTES}. */
export interface SampleAnswer {
  readonly status: number;
  /** Lower-case names; values already redacted by the caller. */
  readonly headers: Readonly<Record<string, string | null>>;
  readonly body: string | Uint8Array;
}

/**
 * A request and both answers, kept for a mismatch class so `strangler diff` can show what differed.
 * Redaction is the caller's job (gateway/compare's redactRequest/redactResponse); the store refuses a
 * sample that still carries a cookie, authorization or set-cookie value.
 */
export interface Sample {
  readonly request: { readonly method: string; readonly target: string; readonly headers: Readonly<Record<string, string | null>> };
  readonly legacy: SampleAnswer;
  readonly ts: SampleAnswer;
}

/** A sample as stored: bodies as text excerpts with a flag saying whether they were cut. */
export interface StoredSample {
  readonly at: number;
  readonly revision: string;
  readonly request: Sample['request'];
  readonly legacy: StoredAnswer;
  readonly ts: StoredAnswer;
}

export interface StoredAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | null>>;
  readonly body: string;
  readonly bodyTruncated: boolean;
}

export const SHADOW_EVENTS = ['sent', 'dropped-concurrency', 'skipped-sample', 'skipped-method', 'too-large', 'failed'] as const;
export type ShadowEvent = (typeof SHADOW_EVENTS)[number];

export const COMPARISON_OUTCOMES = ['match', 'mismatch', 'noise'] as const;
export type ComparisonOutcome = (typeof COMPARISON_OUTCOMES)[number];

export type Side = 'legacy' | 'ts';
export type FallbackDoor = 'ts' | 'edge' | 'nginx';

/** Records evidence in memory; one transaction writes it once a second, on flush() and on close(). */
export interface EvidenceRecorder {
  /** A user-facing answer. An error is a 5xx or a failure (failed: true) to answer at all. */
  request(route: string, side: Side, status: number, durationMs: number, failed: boolean): void;
  /** A shadow copy's fate; durationMs for 'sent' copies that came back (status is informative only). */
  shadow(route: string, event: ShadowEvent, durationMs?: number, status?: number): void;
  /** One comparison of a legacy and a TS answer. A sample is kept for the first mismatches of each class. */
  comparison(route: string, revision: string, outcome: ComparisonOutcome, differences: readonly Difference[], sample?: Sample): void;
  /**
   * Legacy asked twice: the differences between its two answers (noise), and, when the caller knows them,
   * the paths it saw unchanged (stable) so a suggested ignore rule can be checked for being too broad.
   */
  noiseCheck(route: string, differences: readonly Difference[], stableClassKeys?: readonly string[]): void;
  /** A request TS should have answered that legacy answered instead, by door and reason (e.g. 'connect'). */
  fallback(route: string, door: FallbackDoor, reason: string): void;
  /** Writes what is buffered now, in one transaction. */
  flush(): void;
  /** Flushes and stops the timer. */
  close(): void;
}

export interface SideStats {
  readonly requests: number;
  readonly errors: number;
  /** errors / requests; 0 when there were none. */
  readonly errorRate: number;
  /** null when the side answered nothing in the window. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** A route's evidence over a window of whole minutes. */
export interface RouteEvidence {
  readonly route: string;
  /** Unix ms: the start of the first minute counted, and the end of the last. */
  readonly since: number;
  readonly until: number;
  readonly comparisons: {
    /** matches + mismatches + noise: a 'noise' comparison differed only where legacy differs from itself. */
    readonly total: number;
    readonly matches: number;
    readonly mismatches: number;
    readonly noise: number;
    /** mismatches / total; 0 when total is 0. */
    readonly mismatchRate: number;
    /** Wilson score interval at 95% (z = 1.96); [0, 1] when total is 0. */
    readonly lowerBound: number;
    readonly upperBound: number;
  };
  readonly shadow: {
    readonly sent: number;
    readonly droppedConcurrency: number;
    readonly skippedSample: number;
    readonly skippedMethod: number;
    readonly tooLarge: number;
    readonly failed: number;
    readonly p50Ms: number | null;
    readonly p99Ms: number | null;
  };
  readonly sides: { readonly legacy: SideStats; readonly ts: SideStats };
  readonly fallbacks: {
    readonly total: number;
    readonly byDoor: Readonly<Record<string, number>>;
    /** 'edge connect' -> count: door and reason. */
    readonly byReason: Readonly<Record<string, number>>;
  };
  readonly noise: {
    readonly checks: number;
    /** Class keys that differed between two legacy answers, most often first. */
    readonly noisyPaths: readonly { readonly classKey: string; readonly count: number }[];
    /** Class keys seen unchanged between two legacy answers (as reported), most often first. */
    readonly stablePaths: readonly { readonly classKey: string; readonly count: number }[];
  };
}

/** A group of mismatches with the same class key on one route, with up to a few samples. */
export interface MismatchClass {
  readonly route: string;
  /** {@link OTHER_CLASS} collects mismatches past the per-route cap of classes. */
  readonly classKey: string;
  readonly kind: Difference['kind'] | 'other';
  /** A path seen for it, and the renderings of its first occurrence. */
  readonly path: string;
  readonly legacy: string;
  readonly ts: string;
  /** Occurrences in the asked window (all kept minutes when no window). */
  readonly count: number;
  /** Unix ms. */
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly samples: readonly StoredSample[];
}

export const OTHER_CLASS = 'other';

export interface EvidenceOptions {
  /** Minute rows older than this are pruned (at most once an hour, on flush). Default 7 (`STRANGLER_EVIDENCE_DAYS`). */
  readonly retentionDays?: number;
  /** Distinct mismatch classes kept per route; the rest are counted in {@link OTHER_CLASS}. Default 200. */
  readonly maxClassesPerRoute?: number;
  /** Samples kept per class. Default 3. */
  readonly samplesPerClass?: number;
  /** How often a recorder flushes. Default 1000 ms. */
  readonly flushIntervalMs?: number;
  /** The clock, unix ms (tests move it). */
  readonly now?: () => number;
  /** Where the store says what it refused or could not write. Default: process.emitWarning. */
  readonly warn?: (message: string) => void;
}

export interface EvidenceStore {
  /** A recorder for this process: buffers in memory, flushes once a second. */
  recorder(): EvidenceRecorder;
  /** A route's evidence from the minute holding sinceMs to the minute holding untilMs (default now). */
  window(route: string, sinceMs: number, untilMs?: number): RouteEvidence;
  /** The route's mismatch classes seen since sinceMs (default: all kept), most frequent first, with samples. */
  classes(route: string, sinceMs?: number): MismatchClass[];
  /** Every route with evidence kept, sorted. */
  routes(): string[];
  close(): void;
}
