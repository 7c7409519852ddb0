/**
 * Which evidence a route is judged on: its window starts at the route's last change (from the audit
 * log: evidence gathered under another mode or percent says little about this one) or `gate.window_s`
 * ago, whichever is later, and the gate judges the route's next step on it.
 *
 * @example
 * const judged = judgeRoute({ route, audit, store, nowMs: Date.now() });
 * judged.step;             // 'canary' for a route in shadow
 * judged.verdict.verdict;  // 'inconclusive' until enough comparisons
 * judged.basis;            // 'since its last change at 2026-11-29T22:10:04.120Z'
 */
import { gateVerdict, summary, type GateStep, type GateVerdict, type RouteEvidence } from '../evidence/index.ts';
import type { EvidenceStore } from '../evidence/index.ts';
import type { Route, RouteMode } from '../routes/types.ts';
import type { AuditEvidence, AuditLog } from './audit.ts';

/** The step `promote` takes from each mode; next has none. */
export const NEXT_STEP: Readonly<Record<RouteMode, GateStep | null>> = { legacy: 'shadow', shadow: 'canary', canary: 'next', next: null };

/** How audit entries and commands name a route: `=/p` for an exact route (either form is looked up). */
export const routeKey = (route: Pick<Route, 'path' | 'exact'>): string => (route.exact ? `=${route.path}` : route.path);

/** Unix ms of the route's last change that reached the file (applied, or written without a stack); null: none logged. */
export function lastChangeAt(audit: AuditLog, route: Pick<Route, 'path' | 'exact'>): number | null {
  const names = route.exact ? [route.path, `=${route.path}`] : [route.path];
  const times = names.flatMap((name) =>
    audit
      .list({ route: name, limit: 20 })
      .filter((r) => (r.outcome === 'applied' || r.outcome === 'not applied') && r.revisionAfter !== null)
      .slice(0, 1)
      .map((r) => Date.parse(r.at)),
  );
  return times.length === 0 ? null : Math.max(...times);
}

export interface JudgedRoute {
  readonly window: RouteEvidence;
  readonly sinceMs: number;
  /** Why the window starts where it does. */
  readonly basis: string;
  /** The next step and the gate's verdict on it; null for a route in next. */
  readonly step: GateStep | null;
  readonly verdict: GateVerdict | null;
}

export interface JudgeOptions {
  readonly route: Route;
  readonly audit: AuditLog;
  readonly store: EvidenceStore;
  readonly nowMs: number;
  /** The step to judge instead of the route's next one (a canary's raise is judged as the step to next). */
  readonly step?: GateStep;
}

export function judgeRoute({ route, audit, store, nowMs, step = NEXT_STEP[route.mode] ?? undefined }: JudgeOptions): JudgedRoute {
  const byWindow = nowMs - route.gate.windowS * 1000;
  const changed = lastChangeAt(audit, route);
  const sinceMs = changed !== null && changed > byWindow ? changed : byWindow;
  const basis = changed !== null && changed > byWindow ? `since its last change at ${new Date(changed).toISOString()}` : `the last ${route.gate.windowS} s (gate.window_s)`;
  const window = store.window(route.path, sinceMs, nowMs);
  return { window, sinceMs, basis, step: step ?? null, verdict: step === undefined ? null : gateVerdict(step, window, route.gate) };
}

/** The evidence an audit entry keeps of a judged route. */
export function auditEvidence(judged: JudgedRoute, forced = false): AuditEvidence {
  return {
    summary: `${summary(judged.window)} (${judged.basis})`,
    window: judged.window,
    ...(judged.step && judged.verdict ? { step: judged.step, verdict: judged.verdict.verdict, reasons: judged.verdict.reasons } : {}),
    ...(forced ? { forced: true } : {}),
  };
}
