/**
 * The route table's vocabulary. `routes.yaml` is loaded into a {@link RouteTable}: a frozen
 * snapshot that the nginx generator, the Node edge and the TS server all read. A reload builds a new
 * snapshot and swaps one reference; nothing mutates a live table.
 */

/** How a route is served. nginx and the edge only split `legacy` from the rest; the TS server decides the rest. */
export const ROUTE_MODES = ['legacy', 'shadow', 'canary', 'next'] as const;
export type RouteMode = (typeof ROUTE_MODES)[number];

/** Modes this version can serve; the others are reserved in the schema and refused with a clear error. */
export const SUPPORTED_MODES = ['legacy', 'next'] as const satisfies readonly RouteMode[];

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
