/**
 * The automatic demoter, inside `strangler up`: every second it reads the routes in canary or next, and
 * for each one whose TS errors plus fallbacks (of every door) over the last `gate.demote_window_s` pass
 * the route's limit (gateway/evidence demotionCheck), it moves the route to `gate.demote_to` through the
 * same change as the `rollback` command (routes.yaml edited as text, revision raised, applied in the safe
 * order, every running process agreeing) and audits it as `strangler (automatic)`, the reason sentence
 * as why, with the evidence at the time. It works while the TS server is down: the front doors answer
 * through their fallback, and the stack control does not wait for a TS server that is not running
 * (gateway/control/stack.ts). The window starts no earlier than the route's last change.
 *
 * @example
 * const demoter = startDemoter({ routesFile, env, control, stateFile, print });
 * await demoter.stop(); // at shutdown
 */
import { readFileSync } from 'node:fs';
import { demotionCheck, openEvidence, summary, type EvidenceStore } from '../evidence/index.ts';
import { parseRouteTable, RouteTableError } from '../routes/index.ts';
import type { Route, RouteTable } from '../routes/types.ts';
import { AUTOMATIC, openAuditLog, type AuditLog } from './audit.ts';
import { applyRouteChange, type RouteChangeResult } from './change.ts';
import { editRoute } from './edit.ts';
import { ControlError } from './errors.ts';
import { lastChangeAt, routeKey } from './evidence-window.ts';
import type { StackControl } from './stack.ts';

export const DEMOTER_INTERVAL_MS = 1000;
export { AUTOMATIC };

export interface DemoterOptions {
  readonly routesFile: string;
  readonly env: Readonly<Record<string, string>>;
  readonly control: Pick<StackControl, 'check' | 'apply' | 'reconcile'>;
  /** The gateway's state file: evidence is read from it, the audit log written to it. */
  readonly stateFile: string;
  readonly print: (line: string) => void;
  readonly intervalMs?: number;
  readonly now?: () => number;
}

export interface Demoter {
  /** One look at every route (what the timer does each interval); resolves with the demotion made, if any. */
  tick(): Promise<RouteChangeResult | null>;
  stop(): Promise<void>;
}

export function startDemoter({ routesFile, env, control, stateFile, print, intervalMs = DEMOTER_INTERVAL_MS, now = Date.now }: DemoterOptions): Demoter {
  const store: EvidenceStore = openEvidence(stateFile);
  const audit: AuditLog = openAuditLog(stateFile);
  let running: Promise<RouteChangeResult | null> = Promise.resolve(null);
  let stopped = false;

  const demote = async (text: string, route: Route, table: RouteTable): Promise<RouteChangeResult | null> => {
    const nowMs = now();
    const changed = lastChangeAt(audit, route);
    const sinceMs = Math.max(nowMs - route.gate.demoteWindowS * 1000, changed ?? 0);
    const window = store.window(route.path, sinceMs, nowMs);
    const decision = demotionCheck(window, route.gate);
    if (!decision.demote) return null;
    const key = route.exact && table.routes.some((r) => r !== route && r.path === route.path) ? routeKey(route) : route.path;
    const edit = editRoute(text, { route: key, mode: decision.to });
    const evidence = { summary: `${summary(window)} (the last ${route.gate.demoteWindowS} s)`, window, reasons: [decision.reason] };
    const result = await applyRouteChange({
      name: 'automatic demotion',
      routesFile,
      before: text,
      edit,
      check: (candidate) => control.check(candidate),
      stack: control,
      record: (entry) => audit.record({ who: AUTOMATIC, why: decision.reason, command: `demote ${key} ${decision.to}`, route: key, evidence, ...entry }),
      callError: (err) => (err instanceof ControlError ? { kind: err.kind, message: err.message } : null),
      stateDir: stateFile,
    });
    print(`strangler up: automatic demotion of ${key} to ${decision.to} (${result.outcome}): ${decision.reason}`);
    for (const line of result.lines) print(`strangler up: ${line}`);
    return result;
  };

  const tick = async (): Promise<RouteChangeResult | null> => {
    await control.reconcile().catch((err: unknown) => print(`strangler up: the TS server is back but did not take the table yet: ${(err as Error).message}`));
    let text: string;
    let table: RouteTable;
    try {
      text = readFileSync(routesFile, 'utf8');
      table = parseRouteTable(text, routesFile, env);
    } catch (err) {
      if (err instanceof RouteTableError || (err as NodeJS.ErrnoException).code === 'ENOENT') return null; // the commands say what is wrong with it
      throw err;
    }
    for (const route of table.routes) {
      if (route.mode !== 'canary' && route.mode !== 'next') continue;
      // One change per look: the file is read afresh for the next one.
      const result = await demote(text, route, table);
      if (result !== null) return result;
    }
    return null;
  };

  const loop = (): void => {
    if (stopped) return;
    running = tick().catch((err: unknown) => {
      print(`strangler up: the demoter could not look at the routes: ${(err as Error).message}`);
      return null;
    });
    void running.then(() => {
      if (!stopped) timer = setTimeout(loop, intervalMs);
    });
  };
  let timer = setTimeout(loop, intervalMs);

  return {
    tick: () => (running = running.then(tick)),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => undefined);
      store.close();
      audit.close();
    },
  };
}
