/**
 * The route table's vocabulary. `routes.yaml` is loaded into a {@link RouteTable}: a frozen
 * snapshot that the nginx generator, the Node edge and the TS server all read. A reload builds a new
 * snapshot and swaps one reference; nothing mutates a live table.
 */

/**
 * How a route is served, in the order a route is promoted: legacy answers; legacy answers and TS gets a
 * copy to compare (shadow); a share of users get TS (canary); TS answers (next). The front doors send
 * every listed route to the TS server whatever its mode; the TS server follows the mode.
 */
export const ROUTE_MODES = ['legacy', 'shadow', 'canary', 'next'] as const;
export type RouteMode = (typeof ROUTE_MODES)[number];

/** Where an automatic demotion sends a route. */
export const DEMOTE_TARGETS = ['legacy', 'shadow'] as const satisfies readonly RouteMode[];
export type DemoteTarget = (typeof DEMOTE_TARGETS)[number];

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** The two backends every table names. */
export const BACKEND_NAMES = ['legacy', 'ts'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface Backend {
  readonly name: BackendName;
  /** Origin only, e.g. `http://127.0.0.1:8090` (env references already resolved). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
}

export interface Route {
  /** 0-based position in the file's `routes` list. */
  readonly index: number;
  /** 1-based line in routes.yaml, for messages. */
  readonly line: number;
  /**
   * Normalized path, e.g. `/api/v1/threads`, or a segment pattern, e.g. `/api/v1/boards/*\/threads`
   * (each `*` one non-empty segment). `/` is the default route.
   */
  readonly path: string;
  /** true: only this exact path; false: the path and everything below it (segment boundary). */
  readonly exact: boolean;
  readonly mode: RouteMode;
  /**
   * Which backend the front door sends the route to: `legacy` for the default route `/`, `ts` for every
   * other route whatever its mode (the TS server hands a route in mode legacy on to legacy), so that a
   * mode change never needs an nginx reload.
   */
  readonly backend: BackendName;
  /** Name of the TS service that answers (required unless mode is legacy). */
  readonly handler: string | null;
  /** Methods the TS handler answers; other methods are proxied to legacy by the TS server.
   *  null: every method. GET implies HEAD. */
  readonly methods: readonly HttpMethod[] | null;
  /** The route's announced end (`deprecated`, `sunset`, `successor`, `deprecation_doc`); absent: none. */
  readonly lifecycle?: RouteLifecycle;
  /** Canary mode: the share of users (0 < percent <= 100) the TS handler answers; null in other modes. */
  readonly percent: number | null;
  /**
   * Whether an idempotent request that TS cannot answer (unreachable, or failed before its first byte)
   * is answered by legacy instead (`fallback`, default true), at the TS server and at the front doors.
   */
  readonly fallback: boolean;
  /** Bounds on the copies sent to TS in shadow and canary modes (`shadow:`; defaults when absent). */
  readonly shadow: ShadowSettings;
  /** What a comparison looks at and what it ignores (`compare:`; defaults when absent). */
  readonly compare: CompareSettings;
  /** The evidence a promotion needs and what demotes the route on its own (`gate:`; defaults when absent). */
  readonly gate: GateSettings;
}

/** `shadow:` of a route: how much traffic is copied to TS, and how big a copy may be. */
export interface ShadowSettings {
  /** Share of eligible requests copied to TS, 0 to 100 (`sample_percent`, default 100). */
  readonly samplePercent: number;
  /** Copies in flight at once per TS worker (`max_concurrent`, default 8); more are dropped and counted. */
  readonly maxConcurrent: number;
  /** A request or response body larger than this is not compared, and counted as too large (`max_body_kb`, default 256). */
  readonly maxBodyBytes: number;
  /** Whether unsafe methods (POST, PUT, PATCH, DELETE) are copied too (`unsafe`, default false): the handler must honour `X-Strangler-Shadow: 1` and write nothing. */
  readonly unsafe: boolean;
  /** Of the compared safe requests, the share (0 to 100) for which legacy is asked twice to measure noise (`noise_percent`, default 10). */
  readonly noisePercent: number;
}

/** One rule that hides a known difference from comparisons, owned by someone and possibly expiring. */
export interface IgnoreRule {
  /** `pointer`: a JSON pointer into the body (`*` is any one key or index); `header`: a header name (lower case). */
  readonly kind: 'pointer' | 'header';
  readonly target: string;
  /** Who answers for it (a name or team). */
  readonly owner: string;
  /** Unix seconds from which the rule no longer hides anything; null: no expiry. */
  readonly expiresAt: number | null;
  readonly why: string | null;
  /** 1-based line in routes.yaml. */
  readonly line: number;
}

/** `compare:` of a route. */
export interface CompareSettings {
  /** Headers compared besides status and body, lower case (default content-type, location, cache-control). */
  readonly headers: readonly string[];
  readonly ignore: readonly IgnoreRule[];
}

/** `gate:` of a route: what a promotion needs, and what demotes the route by itself. */
export interface GateSettings {
  /** Fewer comparisons in the window: inconclusive (`min_comparisons`, default 400). */
  readonly minComparisons: number;
  /** The mismatch rate's upper 95% bound must be at or below this, in percent (`max_mismatch_percent`, default 1). */
  readonly maxMismatchPercent: number;
  /** TS's error rate may be at most legacy's times this, plus half a percentage point (`max_error_ratio`, default 1). */
  readonly maxErrorRatio: number;
  /** TS's p99 may be at most legacy's times this (`max_p99_ratio`, default 1.5). */
  readonly maxP99Ratio: number;
  /** Fewer requests per side in the window: the error and p99 checks are inconclusive (`min_requests`, default 200: at 100, the p99 is the second-largest request). */
  readonly minRequests: number;
  /** The evidence window for a promotion, in seconds (`window_s`, default 3600). */
  readonly windowS: number;
  /** TS errors plus fallbacks above this share of TS's requests (percent) demote the route (`demote_error_percent`, default 5)... */
  readonly demoteErrorPercent: number;
  /** ...once TS had at least this many requests (`demote_min_requests`, default 20)... */
  readonly demoteMinRequests: number;
  /** ...in the last this many seconds (`demote_window_s`, default 60). */
  readonly demoteWindowS: number;
  /** Where a demotion sends the route (`demote_to`, default legacy). */
  readonly demoteTo: DemoteTarget;
}

/**
 * Headers added to an answer: a string replaces the answer's own header of that name, a list is added
 * after the answer's own values (a response may carry many Link values; the app's must stay).
 */
export type AnswerHeaders = Readonly<Record<string, string | readonly string[]>>;

/** When a route stops being served and what replaces it, announced on every answer it gives. */
export interface RouteLifecycle {
  /** Unix seconds from which the route is deprecated (RFC 9745); null: not deprecated. */
  readonly deprecatedAt: number | null;
  /** Unix seconds after which it may stop answering (RFC 8594); null: no date announced. */
  readonly sunsetAt: number | null;
  /** What replaces it: a path on this site or an absolute URL (Link rel="successor-version"). */
  readonly successor: string | null;
  /** A page about the deprecation (Link rel="deprecation"). */
  readonly deprecationDoc: string | null;
  /** `Deprecation`, `Sunset` and `Link`, as every door and the TS server send them. */
  readonly headers: AnswerHeaders;
}

/** Limits shared by every front door (`settings:` in routes.yaml). */
export interface RouteSettings {
  /** Largest request body a front door accepts (`max_body_mb`, default 16 MiB); larger gets 413. */
  readonly maxBodyBytes: number;
  /** How long a front door waits on a backend (`proxy_timeout_s`, default 60 s) before it answers 504. */
  readonly proxyTimeoutMs: number;
  /**
   * Whether nginx keeps its connections to legacy open between requests (`legacy_keepalive`, default
   * true). false closes each after its answer: the one way nginx 1.22 ends an exchange in which the app
   * sent a 1xx (103 Early Hints), which it takes for the final answer (docs/transparency.md).
   */
  readonly legacyKeepAlive: boolean;
}

export interface RouteTable {
  /** Where it was loaded from, for messages. */
  readonly source: string;
  /** `<counter>-<content hash>`, e.g. `7-1f3a9c0b`: what every process reports as the table it serves. */
  readonly revision: string;
  readonly backends: Readonly<Record<BackendName, Backend>>;
  readonly settings: RouteSettings;
  /** In file order. */
  readonly routes: readonly Route[];
  /**
   * The route for an already normalized path: an exact route, else the first segment pattern that
   * matches (gateway/routes/patterns.ts orders them), else the longest prefix. Never null: `/` exists.
   */
  match(normalizedPath: string): Route;
}

/** One problem found in a table: where it is, what is wrong, how to fix it. */
export interface RouteTableProblem {
  readonly line: number | null;
  readonly column: number | null;
  readonly message: string;
  readonly fix: string;
}
