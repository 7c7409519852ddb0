/**
 * The comparison engine's vocabulary: a captured answer, the differences between two answers, and what
 * noise checks and ignore rules are judged against.
 */

/** A route's ignore rules and compared headers (routes.yaml `compare:`): the route table's types. */
import type { CompareSettings, IgnoreRule } from '../routes/types.ts';

export type { CompareSettings, IgnoreRule };

/** One side's answer as captured for comparison. */
export interface Captured {
  readonly status: number;
  /** Lower-case names; repeated headers joined with `, `; null when absent. */
  readonly headers: Readonly<Record<string, string | null>>;
  readonly contentType: string | null;
  readonly body: Buffer;
  /** The body was cut at the capture limit: it is never compared (the caller counts it as too large). */
  readonly truncated: boolean;
}

export const DIFFERENCE_KINDS = ['status', 'header', 'body-json', 'body-html', 'body-bytes'] as const;
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];

/** One difference between two answers. */
export interface Difference {
  readonly kind: DifferenceKind;
  /** `/posts/3/title` (RFC 6901), `/html/body/div[2]/p[1]/text()`, a header name, or ''. */
  readonly path: string;
  /** Kind and path with indices and ids generalized (`body-json /posts/*\/title`): differences group by it. */
  readonly classKey: string;
  /** Short renderings of each side's value (`(absent)` for a missing key or element). */
  readonly legacy: string;
  readonly ts: string;
}

/** The outcome of comparing two answers, after the ignore rules that still apply. */
export interface Comparison {
  /** No difference left after the ignore rules. A truncated body alone does not make it unequal. */
  readonly equal: boolean;
  /** At most {@link MAX_DIFFERENCES} differences, at most {@link MAX_PER_CLASS} of one class. */
  readonly differences: Difference[];
  /** Differences found beyond those listed. */
  readonly omitted: number;
  /** Every class of difference found (listed or not), with its count: 500 wrong titles are one class, 500. */
  readonly classes: readonly { readonly classKey: string; readonly count: number }[];
  /** Differences beyond the work bound, of no known class (part of `omitted`; normally 0). */
  readonly unclassified: number;
  /** A side's capture was truncated, so bodies were not compared (count it as too large). */
  readonly tooLarge: boolean;
  /** Rules whose expiry has passed: skipped, so the CLI can say so. */
  readonly expiredRules: readonly IgnoreRule[];
}

/** Differences listed per comparison; the rest are counted in `omitted`. */
export const MAX_DIFFERENCES = 50;
/** Differences of one class listed per comparison (500 posts with the same wrong title list five). */
export const MAX_PER_CLASS = 5;

/** What noise checks (legacy asked twice) have shown for a route, accumulated by the evidence store. */
export interface NoiseStats {
  /** Pairs of legacy answers compared. */
  readonly checks: number;
  /** Class keys seen differing between two legacy answers, with how often. */
  readonly noisyPaths: readonly { readonly classKey: string; readonly count: number }[];
  /** Class keys seen unchanged between two legacy answers ({@link stablePaths}). */
  readonly stablePaths: readonly string[];
}

/** An ignore rule proposed from noise. */
export interface SuggestedRule {
  readonly kind: 'pointer' | 'header';
  readonly target: string;
  /** The noisy class it covers and how many noise checks saw it differ. */
  readonly classKey: string;
  readonly count: number;
}

/** A rule to judge: a suggestion or one a developer proposes. */
export interface ProposedRule {
  readonly kind: 'pointer' | 'header';
  readonly target: string;
}

export type SuggestionCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };
