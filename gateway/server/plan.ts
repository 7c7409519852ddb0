/**
 * The per-request plan: which side answers a request, on which route and table revision, and the room
 * for what else happens to it (a shadow copy to TS, a sticky canary bucket, a fallback to legacy). Each
 * mode is a policy (one entry of {@link MODE_POLICIES}) that fills the plan; the server and the front
 * doors follow the plan and never branch on a mode themselves. A new mode is a new policy and, at most,
 * a new field here (STYLE.md point 16, YARP's per-route policies).
 */
import type { HttpMethod, Route, RouteMode, RouteTable } from '../routes/types.ts';

/** The two sides that can answer a request. */
export const SIDES = ['ts', 'legacy'] as const;
export type Side = (typeof SIDES)[number];

/** Why the plan sends the request where it does; for logs and for `strangler status`-like tools. */
export type PlanReason = 'route-not-moved' | 'method-not-moved' | 'moved';

/** A copy of the request sent to the other side for comparison; its answer never reaches the client. */
export interface ShadowPlan {
  readonly side: Side;
  readonly handler: string | null;
}

/** The canary bucket a request fell in (sticky per user) and the share of traffic the route gives TS. */
export interface CanaryPlan {
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
  /** Reserved for the shadow mode; null in every plan this version makes. */
  readonly shadow: ShadowPlan | null;
  /** Reserved for the canary mode; null in every plan this version makes. */
  readonly canary: CanaryPlan | null;
  /** Reserved for `next` with fallback; null in every plan this version makes. */
  readonly fallback: FallbackPlan | null;
}

/** What a policy sees of the request: only what a decision may depend on. */
export interface PlanRequest {
  readonly method: string;
}

/** What a mode decides; the rest of the plan is the same for every mode. */
type Decision = Pick<Plan, 'answer' | 'handler' | 'reason'> & Partial<Pick<Plan, 'shadow' | 'canary' | 'fallback'>>;
type Policy = (route: Route, request: PlanRequest) => Decision;

const toLegacy = (reason: PlanReason): Decision => ({ answer: 'legacy', handler: null, reason });

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
 * One policy per mode. The modes this version refuses at load (shadow, canary) have the policy that
 * keeps the request on legacy, so an unforeseen table can never send a user to a half-built mode. The
 * shadow mode, for one, becomes `shadow: (route, req) => ({ ...toLegacy('route-not-moved'), shadow: { side: 'ts', handler: route.handler } })`.
 *
 * @example
 * MODE_POLICIES[route.mode](route, { method: 'GET' }); // { answer: 'ts', handler: 'threads', reason: 'moved' }
 */
export const MODE_POLICIES = {
  legacy: () => toLegacy('route-not-moved'),
  shadow: () => toLegacy('route-not-moved'),
  canary: () => toLegacy('route-not-moved'),
  next: (route, { method }) => (route.handler !== null && isMethodMoved(route, method) ? { answer: 'ts', handler: route.handler, reason: 'moved' } : toLegacy('method-not-moved')),
} as const satisfies Record<RouteMode, Policy>;

/**
 * The plan for one request on `route` (already matched in `table`).
 *
 * @example
 * const route = table.match(target.path);
 * planFor(table, route, { method: 'HEAD' }); // { answer: 'ts', handler: 'threads', revision: '7-1f3a9c0b', reason: 'moved', ... }
 * planFor(table, route, { method: 'POST' }); // { answer: 'legacy', handler: null, reason: 'method-not-moved', ... }
 */
export function planFor(table: Pick<RouteTable, 'revision'>, route: Route, request: PlanRequest): Plan {
  const decision = MODE_POLICIES[route.mode](route, request);
  return Object.freeze({ shadow: null, canary: null, fallback: null, ...decision, route, revision: table.revision });
}
