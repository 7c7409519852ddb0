/**
 * The commands that change what is live, and show it: `status`, `set`, `promote`, `rollback`, `reload`
 * and `log`. An edit keeps routes.yaml's comments and layout, raises its `revision:` by one, is checked
 * (the table, and the handlers the TS server can serve) before the file is written, and is then applied
 * by the running stack (found through its control socket) in the safe order, waiting until every process
 * serves it. `promote` takes one step (legacy, shadow, canary, next) only when the route's gate passes
 * on its evidence (./evidence.ts shows it). Every change, applied or not, goes to the audit log in the
 * gateway's state file with the evidence at the time.
 *
 * @example
 * npx strangler set /api/v1/me next --handler users --methods GET --why "GET /api/v1/me has parity"
 * npx strangler promote /api/v1/threads --percent 10 --why "400 comparisons agree"   # shadow -> canary
 * npx strangler status
 * npx strangler rollback /api/v1/me --why "500s on the TS side"
 * npx strangler log --route /api/v1/me
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { openAuditLog, type AuditEntry, type AuditEvidence, type AuditRecord } from '../control/audit.ts';
import { applyRouteChange, revisionOfText } from '../control/change.ts';
import { editRoute, RouteEditError, type EditMode, type EditResult, type RouteEdit } from '../control/edit.ts';
import { auditEvidence, judgeRoute, type JudgedRoute } from '../control/evidence-window.ts';
import { connectStack, StackCallError, type StackClient } from '../control/socket.ts';
import type { StackStatus } from '../control/stack.ts';
import { STATE_FILE, stateFileIn } from '../control/state-db.ts';
import { openEvidence, type GateStep } from '../evidence/index.ts';
import { parseRouteTable, RouteTableError } from '../routes/index.ts';
import { ROUTE_MODES, type Route, type RouteTable } from '../routes/types.ts';
import { Args, CommandError, findRoute, type CommandContext } from './command.ts';
import { hasEvidence, printEvidence, routeReports } from './evidence.ts';

/** Re-exported where the commands always had them. */
export { STATE_FILE, Args, CommandError, type CommandContext };

const MODES_TEXT = ROUTE_MODES.join(', ');
/** The share of users a canary starts with when `promote` takes a route from shadow to canary. */
export const DEFAULT_CANARY_PERCENT = 10;

function percentOption(args: Args): number | undefined {
  const text = args.option('--percent');
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(value > 0 && value <= 100)) throw new CommandError(`--percent ${text} is not a share of users; give a number above 0 and at most 100, e.g. --percent 10`);
  return value;
}

/** How often `promote --wait` judges the evidence again (the workers write theirs once a second). */
const WAIT_POLL_MS = 1000;
/** The longest `promote --wait` takes. */
const MAX_WAIT_S = 24 * 3600;

function waitOption(args: Args): number {
  const text = args.option('--wait');
  if (text === undefined) return 0;
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0 && value <= MAX_WAIT_S))
    throw new CommandError(`--wait ${text} is not a number of seconds; give how long to wait for a decided verdict, above 0 and at most ${MAX_WAIT_S}, e.g. --wait 300`);
  return value;
}

/** What a command asks of one route: the edit, and for promote the step the gate judges. */
interface Intent {
  readonly edit: RouteEdit;
  readonly step: GateStep | null;
}

/** promote: one step from where the route is (legacy -> shadow -> canary -> next), or a canary's raise. */
function promotion(route: Route | undefined, path: string, percent: number | undefined, handler: string | undefined): Intent {
  if (route === undefined) throw new RouteEditError(`there is no route '${path}' to promote; add it with: npx strangler set ${path} shadow --handler <name>`);
  const base = { route: path, ...(handler ? { handler } : {}) };
  switch (route.mode) {
    case 'next':
      throw new RouteEditError(`route '${path}' is in mode next already: there is nothing to promote it to`);
    case 'legacy':
      if (percent !== undefined) throw new RouteEditError(`a route in mode legacy is promoted to shadow, which takes no percent; leave out --percent`);
      return { edit: { ...base, mode: 'shadow' }, step: 'shadow' };
    case 'shadow':
      return { edit: { ...base, mode: 'canary', percent: percent ?? DEFAULT_CANARY_PERCENT }, step: 'canary' };
    case 'canary':
      if (percent === undefined) return { edit: { ...base, mode: 'next' }, step: 'next' };
      if (percent <= route.percent!) {
        throw new RouteEditError(
          `route '${path}' is a canary at ${route.percent}% already; promote raises it (e.g. --percent ${Math.min(100, route.percent! * 2)}), \`npx strangler set ${path} canary --percent ${percent}\` lowers it`,
        );
      }
      // A raise puts more users on TS: it is judged on the canary's own evidence, as the step to next is.
      return { edit: { ...base, mode: 'canary', percent }, step: 'next' };
  }
}
/** `set`, `promote` and `rollback`: one route's edit, gated (promote), checked, written, applied, logged with its evidence. */
export async function changeRoute(command: 'set' | 'promote' | 'rollback', argv: readonly string[], ctx: CommandContext): Promise<number> {
  const args = new Args(argv);
  const path = args.positional('the route, e.g. /api/v1/threads');
  let mode: EditMode | null = null;
  if (command === 'set') {
    const wanted = args.positional(`the mode: ${MODES_TEXT}`);
    if (!(ROUTE_MODES as readonly string[]).includes(wanted)) throw new CommandError(`mode '${wanted}' is not one of ${MODES_TEXT}`);
    mode = wanted as EditMode;
  } else if (command === 'rollback') mode = 'legacy';
  const methodsText = args.option('--methods');
  const handler = args.option('--handler');
  const percent = percentOption(args);
  const force = args.flag('--force');
  const waitS = waitOption(args);
  const why = args.option('--why') ?? (command === 'rollback' ? 'rollback' : undefined);
  args.done();
  if (why === undefined || why.trim() === '') throw new CommandError(`say why: --why "..." (it goes to the audit log with the change)`);
  if (force && command !== 'promote') throw new CommandError(`--force applies to promote only (${command} is not gated)`);
  if (waitS > 0 && command !== 'promote') throw new CommandError(`--wait applies to promote only (${command} is not gated)`);
  const methods = methodsText?.split(',').map((method) => method.trim());
  const words = [
    command,
    path,
    ...(mode !== null && command === 'set' ? [mode] : []),
    ...(percent !== undefined ? ['--percent', String(percent)] : []),
    ...(methodsText ? ['--methods', methodsText] : []),
    ...(handler ? ['--handler', handler] : []),
    ...(force ? ['--force'] : []),
  ].join(' ');

  const stack = await connectStack(ctx.config.stateDir);
  const routesFile = stack?.routesFile ?? ctx.config.routesFile;
  const before = readFileSync(routesFile, 'utf8');
  const stateFile = stateFileIn(ctx.config.stateDir);
  const audit = openAuditLog(stateFile);
  const store = openEvidence(stateFile);
  try {
    let table: RouteTable | null = null;
    try {
      table = parseRouteTable(before, routesFile, ctx.env);
    } catch (err) {
      if (!(err instanceof RouteTableError)) throw err;
      // set and rollback still edit a file that does not load (the check below says what is wrong); promote needs its gate.
    }
    const route = findRoute(table, path);
    let judged: JudgedRoute | null = null;
    let evidence: AuditEvidence | null = null;
    const log = (entry: Pick<AuditEntry, 'diff' | 'revisionBefore' | 'revisionAfter' | 'outcome' | 'detail'>): AuditRecord =>
      audit.record({ who: ctx.who, why, command: words, route: path, evidence, ...entry });
    const refuse = (message: string): number => {
      log({ diff: '', revisionBefore: revisionOfText(before), revisionAfter: null, outcome: 'refused', detail: message });
      ctx.print(`strangler ${command}: ${message}; nothing was changed`);
      return 1;
    };
    let intent: Intent;
    try {
      if (command === 'promote' && table === null)
        throw new RouteEditError(`${routesFile} is not a valid table, so the route's gate cannot be read; fix it first: npx strangler validate`);
      intent =
        command === 'promote'
          ? promotion(route, path, percent, handler)
          : { edit: { route: path, mode: mode!, ...(handler ? { handler } : {}), ...(methods ? { methods } : {}), ...(percent !== undefined ? { percent } : {}) }, step: null };
      if (methods && command === 'promote') intent = { ...intent, edit: { ...intent.edit, methods } };
    } catch (err) {
      if (!(err instanceof RouteEditError)) throw err;
      return refuse(err.message);
    }
    if (route !== undefined) {
      const judge = (): JudgedRoute => judgeRoute({ route, audit, store, nowMs: Date.now(), ...(intent.step ? { step: intent.step } : {}) });
      judged = judge();
      // --wait: while the evidence is too little to decide, keep judging it as traffic brings more.
      const until = Date.now() + waitS * 1000;
      if (command === 'promote' && judged.verdict?.verdict === 'inconclusive' && Date.now() < until) {
        ctx.print(`waiting up to ${waitS} s for the gate to decide (${judged.verdict.reasons.find((r) => r.startsWith('inconclusive')) ?? 'too little evidence'})`);
        while (judged.verdict?.verdict === 'inconclusive' && Date.now() < until) {
          await sleep(Math.min(WAIT_POLL_MS, Math.max(0, until - Date.now())));
          judged = judge();
        }
      }
      evidence = auditEvidence(judged, force && judged.verdict !== null && judged.verdict.verdict !== 'pass');
    }
    if (command === 'promote' && judged?.verdict) {
      printVerdict(
        judged,
        `${route!.mode}${route!.percent !== null ? ` ${route!.percent}%` : ''} -> ${intent.edit.mode}${intent.edit.percent !== undefined ? ` ${intent.edit.percent}%` : ''}`,
        ctx.print,
      );
      const { verdict } = judged.verdict;
      if (verdict !== 'pass' && !force) {
        return refuse(
          `the gate's verdict is ${verdict}${verdict === 'inconclusive' ? ' (too little evidence is never a pass): send traffic and try again' : ': see the reasons above'}, or take the step anyway with --force --why "..." (audited as forced)`,
        );
      }
      if (verdict !== 'pass') ctx.print(`forced past the gate's verdict ${verdict}: the audit log records it with the evidence`);
    }
    let edit: EditResult;
    try {
      edit = editRoute(before, intent.edit);
    } catch (err) {
      if (!(err instanceof RouteEditError)) throw err;
      return refuse(err.message);
    }
    const result = await applyRouteChange({
      name: `strangler ${command}`,
      routesFile,
      before,
      edit,
      check: (text) => checkText(text, routesFile, stack, ctx),
      stack,
      record: log,
      callError: (err) => (err instanceof StackCallError ? { kind: err.kind, message: err.message } : null),
      stateDir: ctx.config.stateDir,
    });
    result.lines.forEach((line) => ctx.print(line));
    if (result.status) printProcesses(result.status, ctx.print);
    return result.outcome === 'applied' || result.outcome === 'not applied' ? 0 : 1;
  } finally {
    store.close();
    audit.close();
  }
}

function printVerdict(judged: JudgedRoute, step: string, print: (line: string) => void): void {
  const { window, verdict } = judged;
  print(`gate for ${window.route}, ${step}: ${verdict!.verdict}`);
  print(`  evidence ${judged.basis}: ${new Date(window.since).toISOString()} to ${new Date(window.until).toISOString()}`);
  for (const reason of verdict!.reasons) print(`  ${reason}`);
}

/** Problems of a table's text: its own, and handlers the TS server cannot serve (the running one, or the services module's). */
export async function checkText(text: string, routesFile: string, stack: StackClient | null, ctx: CommandContext): Promise<string[]> {
  if (stack) return stack.check(text);
  let table: RouteTable;
  try {
    table = parseRouteTable(text, routesFile, ctx.env);
  } catch (err) {
    if (err instanceof RouteTableError) return [err.message];
    throw err;
  }
  try {
    // Loaded only here: composing a services module is the slow path, and only without a running stack.
    const { handlerProblems, servableHandlers } = await import('./handlers.ts');
    const { handlers, from } = await servableHandlers(ctx.config, ctx.env, table);
    return handlerProblems(table, handlers, from);
  } catch (err) {
    // A module that cannot be composed here (its database is not there yet) leaves the names unchecked, said plainly.
    ctx.warn(
      `handler names not checked: the services module could not be composed here (${(err as Error).message}); with a running stack (npx strangler up) the TS server itself says which handlers it serves`,
    );
    return [];
  }
}

/** `reload`: the file as it is now into every process (after a hand edit); `--code`: a rolling restart of the TS workers. */
export async function reload(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const args = new Args(argv);
  const code = args.flag('--code');
  const why = args.option('--why') ?? (code ? 'new handler code' : 'routes.yaml edited by hand');
  args.done();
  const stack = await connectStack(ctx.config.stateDir);
  if (!stack) {
    ctx.print(`strangler reload: no running stack found (state directory ${ctx.config.stateDir}); nothing to reload: \`npx strangler up\` starts one`);
    return 1;
  }
  const status = await stack.status();
  const live = status.processes.find((p) => p.name.startsWith('ts'))?.revision ?? null;
  const fileRevision = 'revision' in status.file ? status.file.revision : null;
  const audit = openAuditLog(stateFileIn(ctx.config.stateDir));
  const log = (entry: Pick<AuditEntry, 'outcome' | 'detail' | 'revisionAfter'>): void =>
    void audit.record({ who: ctx.who, why, command: code ? 'reload --code' : 'reload', route: null, diff: '', revisionBefore: live, ...entry });
  try {
    const result = code ? await stack.reloadCode() : await stack.apply('ts');
    const detail = 'pids' in result ? `TS workers now ${result.pids.join(', ')}` : `every process agreed after ${Math.round(result.agreedAfterMs)} ms`;
    log({ outcome: 'applied', detail, revisionAfter: fileRevision });
    ctx.print(`${code ? 'TS workers restarted one at a time' : `every process serves ${status.routesFile} revision ${fileRevision}`}: ${detail}.`);
    printProcesses(result.status, ctx.print);
    return 0;
  } catch (err) {
    if (!(err instanceof StackCallError)) throw err;
    log({ outcome: err.kind, detail: err.message, revisionAfter: null });
    ctx.print(`strangler reload: ${err.kind}: ${err.message}`);
    return 1;
  } finally {
    audit.close();
  }
}

/** `status`: each route of the file with its evidence and the gate's verdict on its next step, then the revision every process serves. */
export async function status(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const args = new Args(argv);
  const json = args.flag('--json');
  args.done();
  const stack = await connectStack(ctx.config.stateDir);
  const live = stack ? await stack.status() : null;
  const routesFile = live?.routesFile ?? ctx.config.routesFile;
  const text = readFileSync(routesFile, 'utf8');
  let table: RouteTable | null = null;
  let tableError: string | null = null;
  try {
    table = parseRouteTable(text, routesFile, ctx.env);
  } catch (err) {
    if (!(err instanceof RouteTableError)) throw err;
    tableError = err.message;
  }
  const routes = table === null ? [] : routeReports(table, ctx);
  if (json) {
    ctx.print(JSON.stringify({ routesFile, revision: revisionOfText(text), ...(tableError ? { tableError } : {}), routes, stack: live }, null, 2));
    return live === null || live.agreed ? 0 : 1;
  }
  ctx.print(`${routesFile}: revision ${revisionOfText(text)}`);
  if (tableError !== null) ctx.print(`the file is not a valid table:\n${tableError}`);
  else {
    ctx.print(
      columns(
        ['route', 'mode', 'handler', 'methods'],
        routes.map((r) => [r.route, `${r.mode}${r.percent !== null ? ` ${r.percent}%` : ''}`, r.handler ?? '-', r.methods?.join(',') ?? 'all']),
      ),
    );
    // Routes on trial always; the others when their window holds anything (a quiet next route says nothing new).
    for (const report of routes) if (report.mode === 'shadow' || report.mode === 'canary' || hasEvidence(report.evidence)) printEvidence(report, ctx.print);
  }
  if (live === null) {
    ctx.print(`\nNo running stack found (state directory ${ctx.config.stateDir}): nothing is live to compare with.`);
    return 0;
  }
  ctx.print('');
  printProcesses(live, ctx.print);
  return live.agreed ? 0 : 1;
}
function printProcesses(live: StackStatus, print: (line: string) => void): void {
  const want = 'revision' in live.file ? live.file.revision : null;
  print(
    columns(
      ['process', 'pid', 'revision', 'agrees'],
      live.processes.map((p) => [p.name, String(p.pid ?? '-'), p.revision ?? '-', `${p.agrees ? 'yes' : 'NO'}${p.note ? `: ${p.note}` : ''}`]),
    ),
  );
  if ('error' in live.file) print(`DISAGREE: the file cannot be loaded, so the processes keep their last good table:\n${live.file.error}`);
  else if (live.agreed) print(`All processes agree: they serve revision ${want}${live.processes.some((p) => p.note) ? ' (nginx by its routing, see above)' : ''}.`);
  else
    print(
      `DISAGREE: ${live.processes
        .filter((p) => !p.agrees)
        .map((p) => p.name)
        .join(', ')} do not serve revision ${want}, which the file holds; \`npx strangler reload\` applies it.`,
    );
}
/** `log`: the audit log, newest first. */
export function log(argv: readonly string[], ctx: CommandContext): number {
  const args = new Args(argv);
  const json = args.flag('--json');
  const route = args.option('--route');
  const limit = Number(args.option('--limit') ?? 50);
  args.done();
  const audit = openAuditLog(stateFileIn(ctx.config.stateDir));
  try {
    const records = audit.list({ ...(route ? { route } : {}), limit });
    if (json) {
      ctx.print(JSON.stringify(records, null, 2));
      return 0;
    }
    if (records.length === 0) ctx.print(`no changes recorded in ${stateFileIn(ctx.config.stateDir)}${route ? ` for ${route}` : ''}`);
    for (const r of records) {
      ctx.print(`#${r.id} ${r.at} ${r.who}: strangler ${r.command} -> ${r.outcome}`);
      ctx.print(`    why: ${r.why}`);
      ctx.print(`    revision: ${r.revisionBefore ?? '-'} -> ${r.revisionAfter ?? '-'}${r.detail ? `; ${r.detail.split('\n')[0]}` : ''}`);
      if (r.evidence) {
        const { step, verdict, forced, reasons, summary } = r.evidence;
        ctx.print(`    evidence: ${summary}`);
        if (step && verdict) ctx.print(`    gate on ${step}: ${verdict}${forced ? ' (FORCED past it)' : ''}${reasons?.length ? `; ${reasons[0]}` : ''}`);
      }
      for (const line of r.diff.split('\n').filter(Boolean)) ctx.print(`    ${line}`);
    }
    return 0;
  } finally {
    audit.close();
  }
}

function columns(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows].map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}
