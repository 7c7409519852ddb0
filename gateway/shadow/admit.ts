/**
 * The bounds every shadow runner applies before a copy is made, and the per-route count of copies in
 * flight they check: the method (unsafe ones only when the route opts in), the sample rate, the route's
 * concurrency cap and the announced request body size. Each copy not made is counted why.
 */
import type { IncomingMessage } from 'node:http';
import type { EvidenceRecorder } from '../evidence/index.ts';
import { isMethodMoved, type Plan } from '../server/plan.ts';

/** Copies in flight per route in this process, and a wait for none. */
export interface Slots {
  take(route: string): void;
  release(route: string): void;
  inFlight(route: string): number;
  total(): number;
  idle(): Promise<void>;
}

/**
 * @example
 * const slots = createSlots(); slots.take('/t'); slots.inFlight('/t'); // 1
 */
export function createSlots(): Slots {
  const inFlight = new Map<string, number>();
  let total = 0;
  let idleWaiters: (() => void)[] = [];
  return {
    take(route) {
      inFlight.set(route, (inFlight.get(route) ?? 0) + 1);
      total++;
    },
    release(route) {
      const left = (inFlight.get(route) ?? 1) - 1;
      if (left <= 0) inFlight.delete(route);
      else inFlight.set(route, left);
      total--;
      if (total === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const wake of waiters) wake();
      }
    },
    inFlight: (route) => inFlight.get(route) ?? 0,
    total: () => total,
    idle: () => (total === 0 ? Promise.resolve() : new Promise((wake) => idleWaiters.push(wake))),
  };
}

/** A copy the bounds let through: whether the request has a body to copy. */
export interface Admitted {
  readonly hasBody: boolean;
}

/**
 * Whether a copy of this request is made; when not, counted why (where it counts). On admission the
 * route's slot is taken: the caller releases it once the copy is done.
 *
 * @example
 * const admitted = admit(plan, method, incoming, hasHandler, { recorder, slots, random: Math.random });
 */
export function admit(
  plan: Plan,
  method: string,
  incoming: IncomingMessage,
  hasHandler: boolean,
  bounds: {
    readonly recorder: Pick<EvidenceRecorder, 'shadow'>;
    readonly slots: Slots;
    readonly random: () => number;
    /** Whether no more copies may be in flight on the route (default: the route's cap is reached). */
    readonly full?: (route: string, maxConcurrent: number) => boolean;
  },
): Admitted | null {
  const { recorder, slots, random, full = (path, max) => slots.inFlight(path) >= max } = bounds;
  const { route } = plan;
  if (plan.shadow === null) {
    // The handler takes this method but it is not safe and the route did not opt in: said, not hidden.
    if ((route.mode === 'shadow' || route.mode === 'canary') && route.handler !== null && isMethodMoved(route, method)) recorder.shadow(route.path, 'skipped-method');
    return null;
  }
  if (!hasHandler) return null;
  const { samplePercent, maxConcurrent, maxBodyBytes } = route.shadow;
  if (samplePercent < 100 && random() * 100 >= samplePercent) {
    recorder.shadow(route.path, 'skipped-sample');
    return null;
  }
  if (full(route.path, maxConcurrent)) {
    recorder.shadow(route.path, 'dropped-concurrency');
    return null;
  }
  const hasBody = incoming.headers['transfer-encoding'] !== undefined || Number(incoming.headers['content-length'] ?? 0) > 0;
  if (hasBody && Number(incoming.headers['content-length'] ?? 0) > maxBodyBytes) {
    recorder.shadow(route.path, 'too-large');
    return null;
  }
  slots.take(route.path);
  return { hasBody };
}
