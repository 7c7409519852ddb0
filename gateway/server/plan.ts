/**
 * The per-request plan: which side answers a request, on which route and table revision, and the room
 * for what else happens to it (a shadow copy to TS, a sticky canary bucket, a fallback to legacy). Each
 * mode is a policy (one entry of {@link MODE_POLICIES}) that fills the plan; the server and the front
 * doors follow the plan and never branch on a mode themselves. A new mode is a new policy and, at most,
 * a new field here (STYLE.md point 16, YARP's per-route policies).
 */
import { createHash } from 'node:crypto';
import type { HttpMethod, Route, RouteMode, RouteTable } from '../routes/types.ts';

/** The two sides that can answer a request. */
export const SIDES = ['ts', 'legacy'] as const;
export type Side = (typeof SIDES)[number];

/**
 * Why the plan sends the request where it does; for logs and for `strangler status`-like tools.
 * `shadowed`: legacy answers, TS gets a copy; `canary`: the user's canary bucket is TS's;
 * `canary-legacy`: it is legacy's (and TS gets a copy).
 */
export type PlanReason = 'route-not-moved' | 'method-not-moved' | 'moved' | 'shadowed' | 'canary' | 'canary-legacy';

/** A copy of the request sent to the other side for comparison; its answer never reaches the client. */
export interface ShadowPlan {
  readonly side: Side;
  readonly handler: string | null;
}

/** The canary bucket a request fell in (sticky per user) and the share of traffic the route gives TS. */
export interface CanaryPlan {
  /** 0 to 9999: TS answers when `bucket < percent * 100`. */
  readonly bucket: number;
  readonly percent: number;
}

/** Where the request goes if the answering side fails before its first byte. */
export interface FallbackPlan {
  readonly side: Side;
}

export interface Plan {
  /** The side whose answer the client gets. */
  readonly answer: Side;
  /** The route the request matched. */
  readonly route: Route;
  /** The TS service that answers when `answer` is `ts`; null when legacy answers. */
  readonly handler: string | null;
  /** The revision of the table the plan was made from. */
  readonly revision: string;
  readonly reason: PlanReason;
  /** A copy to send to TS for comparison (shadow mode, and canary for the users legacy answers); else null. */
  readonly shadow: ShadowPlan | null;
  /** The user's sticky bucket on a canary route; else null. */
  readonly canary: CanaryPlan | null;
  /** Where the request goes when TS cannot answer it before its first byte; null: nowhere (the error page). */
  readonly fallback: FallbackPlan | null;
}

/** What a policy sees of the request: only what a decision may depend on. */
export interface PlanRequest {
  readonly method: string;
  /**
   * Who the user is, for a sticky canary bucket (./canary-key.ts); asked only on canary routes. Absent
   * or null: the request stays on legacy, never a random side.
   */
  readonly key?: () => string | null;
}

/** What a mode decides; the rest of the plan is the same for every mode. */
type Decision = Pick<Plan, 'answer' | 'handler' | 'reason'> & Partial<Pick<Plan, 'shadow' | 'canary' | 'fallback'>>;
type Policy = (route: Route, request: PlanRequest) => Decision;

const toLegacy = (reason: PlanReason): Decision => ({ answer: 'legacy', handler: null, reason });

/** RFC 9110's idempotent methods: the ones a front door may send again elsewhere (nginx's set too). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * Whether a method may be sent a second time (RFC 9110 §9.2.2): the front doors fall back only for these
 * once a request may have reached TS.
 *
 * @example
 * isIdempotent('PUT'); // true
 * isIdempotent('POST'); // false
 */
export const isIdempotent = (method: string): boolean => IDEMPOTENT.has(method.toUpperCase());

/** Buckets a canary percentage is counted in: 100 per percent, so 0.5% is a share too. */
export const CANARY_BUCKETS = 10_000;

/**
 * Whether the route moves `method` to its handler: listed, or GET listed for HEAD, or no list at all.
 *
 * @example
 * isMethodMoved({ ...route, methods: ['GET'] }, 'HEAD'); // true
 * isMethodMoved({ ...route, methods: ['GET'] }, 'POST'); // false
 */
export function isMethodMoved(route: Route, method: string): boolean {
  if (route.methods === null) return true;
  const wanted = method.toUpperCase();
  return route.methods.some((allowed: HttpMethod) => allowed === wanted || (allowed === 'GET' && wanted === 'HEAD'));
}

/**
 * A user's canary bucket on a route, 0 to 9999: the same in every process and after every restart, and
 * of its own per route (a user in the first 10% of one route is not thereby in the first 10% of all).
 * A bigger percentage only adds buckets, so raising it moves no user back to legacy.
 *
 * @example
 * canaryBucket('/api/v1/threads', 'session:4f2a…'); // 1234: TS answers at any percent above 12.34
 */
export function canaryBucket(routePath: string, key: string): number {
  return createHash('sha256').update(`${routePath}\n${key}`).digest().readUInt32BE(0) % CANARY_BUCKETS;
}

/** The handler's copy of a request legacy answers: for a method the handler takes, safe or opted in. */
const shadowOf = (route: Route, method: string): ShadowPlan | null =>
  route.handler !== null && isMethodMoved(route, method) && (SAFE.has(method.toUpperCase()) || route.shadow.unsafe) ? { side: 'ts', handler: route.handler } : null;

/** TS answers: with legacy behind it when the route allows it and the method may be sent twice. */
const toTs = (route: Route, method: string, reason: PlanReason): Decision => ({
  answer: 'ts',
  handler: route.handler,
  reason,
  fallback: route.fallback && IDEMPOTENT.has(method.toUpperCase()) ? { side: 'legacy' } : null,
});

/**
 * One policy per mode.
 *
 * @example
 * MODE_POLICIES[route.mode](route, { method: 'GET' }); // { answer: 'ts', handler: 'threads', reason: 'moved', fallback: { side: 'legacy' } }
 */
export const MODE_POLICIES = {
  legacy: () => toLegacy('route-not-moved'),
  shadow: (route, { method }) => {
    const shadow = shadowOf(route, method);
    return shadow === null ? toLegacy('method-not-moved') : { ...toLegacy('shadowed'), shadow };
  },
  canary: (route, { method, key }) => {
    if (route.handler === null || !isMethodMoved(route, method)) return toLegacy('method-not-moved');
    const percent = route.percent ?? 0;
    const who = key?.() ?? null;
    // Nobody to stick to: legacy, never a coin toss that could flip the user between two requests.
    const bucket = who === null ? CANARY_BUCKETS - 1 : canaryBucket(route.path, who);
    const canary = { bucket, percent };
    if (who !== null && bucket < percent * (CANARY_BUCKETS / 100)) return { ...toTs(route, method, 'canary'), canary };
    const shadow = shadowOf(route, method);
    return { ...toLegacy('canary-legacy'), canary, ...(shadow === null ? {} : { shadow }) };
  },
  next: (route, { method }) => (route.handler !== null && isMethodMoved(route, method) ? toTs(route, method, 'moved') : toLegacy('method-not-moved')),
} as const satisfies Record<RouteMode, Policy>;

/**
 * The plan for one request on `route` (already matched in `table`).
 *
 * @example
 * const route = table.match(target.path);
 * planFor(table, route, { method: 'HEAD' }); // { answer: 'ts', handler: 'threads', revision: '7-1f3a9c0b', reason: 'moved', ... }
 * planFor(table, route, { method: 'POST' }); // { answer: 'legacy', handler: null, reason: 'method-not-moved', ... }
 * planFor(table, canaryRoute, { method: 'GET', key: () => 'session:4f2a' }); // TS or legacy, the same every time for this key
 */
export function planFor(table: Pick<RouteTable, 'revision'>, route: Route, request: PlanRequest): Plan {
  const decision = MODE_POLICIES[route.mode](route, request);
  return Object.freeze({ shadow: null, canary: null, fallback: null, ...decision, route, revision: table.revision });
}
