/** The parity harness's vocabulary: a case (one request and what the contract demands) and what was seen. */

export interface ParityCase {
  /** What the case proves, e.g. `answers 404 JSON for a missing thread`. */
  readonly name: string;
  readonly method?: string;
  /** Request-target, sent byte for byte (no client-side normalization). */
  readonly path: string;
  /** Request headers, sent to both sides alike. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** The status the contract demands, checked on both sides so that matching bugs cannot pass. */
  readonly status: number;
  /** A known difference, with its reason: the case must differ until it is fixed (then the gap comes off). */
  readonly gap?: string;
  /** Hides a difference both sides are allowed (a counter, a date), applied to both observations. */
  readonly normalize?: Normalizer;
}

/** What parity compares of one answer. */
export interface Observation {
  readonly status: number;
  /** The compared headers by lower-case name: their values joined with `, `, or null when absent. */
  readonly headers: Readonly<Record<string, string | null>>;
  /** The compared headers' names as spelled on the wire, sorted (`Cache-Control` vs `cache-control` is a tell). */
  readonly headerNames: readonly string[];
  readonly body: Buffer;
}

/** An observation plus who answered it, as the TS server said (`X-Strangler-Answered-By`), or null. */
export interface Answer extends Observation {
  readonly answeredBy: string | null;
}

export type Normalizer = (seen: Observation) => Observation;

export interface ParityResult {
  /** True when the case holds: no problem below. */
  readonly ok: boolean;
  /** Each thing wrong, as a sentence with its fix where there is one. */
  readonly problems: readonly string[];
  /** Absent when the case failed before anything was sent (its route is not the TS side's). */
  readonly legacy?: Answer;
  readonly ts?: Answer;
}
