/**
 * The TS server's per-request decision, as a plan (./plan.ts): which side answers, on which route and
 * revision. This module is the server's view of it: the table matched and planned in one call.
 */
import type { RouteTable } from '../routes/types.ts';
import { planFor, type Plan } from './plan.ts';

export {
  planFor,
  isMethodMoved,
  MODE_POLICIES,
  SIDES,
  type Plan,
  type PlanReason,
  type PlanRequest,
  type Side,
  type ShadowPlan,
  type CanaryPlan,
  type FallbackPlan,
} from './plan.ts';

/**
 * Match an already normalized path in `table` and plan the request.
 *
 * @example
 * planRequest(table, '/api/v1/threads/1', 'GET').answer; // 'ts' when the route is `next` and GET moved
 * planRequest(table, '/b/news', 'GET', () => 'session:4f2a').canary; // { bucket: 1234, percent: 50 } on a canary route
 */
export function planRequest(table: RouteTable, normalizedPath: string, method: string, key?: () => string | null): Plan {
  return planFor(table, table.match(normalizedPath), key === undefined ? { method } : { method, key });
}
