/**
 * The commands that change what is live, and show it: `status`, `set`, `promote`, `rollback`, `reload`
 * and `log`. An edit keeps routes.yaml's comments and layout, raises its `revision:` by one, is checked
 * (the table, and the handlers the TS server can serve) before the file is written, and is then applied
 * by the running stack (found through its control socket) in the safe order, waiting until every process
 * serves it. Every change, applied or not, goes to the audit log in the gateway's state file.
 *
 * @example
 * npx strangler set /api/v1/me next --handler users --methods GET --why "GET /api/v1/me has parity"
 * npx strangler status
 * npx strangler rollback /api/v1/me --why "500s on the TS side"
 * npx strangler log --route /api/v1/me
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayConfig } from '../config/index.ts';
import { openAuditLog, type AuditEntry, type AuditRecord } from '../control/audit.ts';
import { lineDiff } from '../control/diff.ts';
import { editRoute, revisionCounterOf, RouteEditError, type EditMode, type RouteState } from '../control/edit.ts';
import { connectStack, StackCallError, type StackClient } from '../control/socket.ts';
import type { StackStatus } from '../control/stack.ts';
import { parseRouteTable, revisionOf, RouteTableError } from '../routes/index.ts';
import type { RouteTable } from '../routes/types.ts';

export const STATE_FILE = 'state.db';

export interface CommandContext {
  readonly config: GatewayConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly print: (line: string) => void;
  /** For what is not the command's answer (stderr). */
  readonly warn: (line: string) => void;
  /** Who runs the command: `--who`, else the user from the environment. */
  readonly who: string;
}

/** A command line that cannot run as written; the message says how to write it. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

/** Options and positionals of a command line, taken out one by one. */
export class Args {
  readonly #rest: string[];
  constructor(args: readonly string[]) {
    this.#rest = [...args];
  }
  option(name: string): string | undefined {
    const at = this.#rest.indexOf(name);
    if (at === -1) return undefined;
    const value = this.#rest[at + 1];
    if (value === undefined || value.startsWith('--')) throw new CommandError(`${name} needs a value`);
    this.#rest.splice(at, 2);
    return value;
  }
  flag(name: string): boolean {
    const at = this.#rest.indexOf(name);
    if (at !== -1) this.#rest.splice(at, 1);
    return at !== -1;
  }
  positional(what: string): string {
    const at = this.#rest.findIndex((arg) => !arg.startsWith('--'));
    if (at === -1) throw new CommandError(`give ${what}`);
    return this.#rest.splice(at, 1)[0]!;
  }
  done(): void {
    if (this.#rest.length > 0) throw new CommandError(`unexpected ${this.#rest.map((arg) => `'${arg}'`).join(', ')}`);
  }
}

const revisionOfText = (text: string): string => revisionOf(revisionCounterOf(text), text);

/** Replace the file in one step, so a process reloading at that moment reads the old text or the new, never half. */
function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.strangler-${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

const describeState = (state: RouteState | null): string =>
  state === null ? 'absent' : `${state.mode}${state.handler ? ` (handler ${state.handler}${state.methods ? `, ${state.methods.join(',')}` : ', every method'})` : ''}`;

/** `set`, `promote` and `rollback`: one route's edit, checked, written, applied, logged. */
export async function changeRoute(command: 'set' | 'promote' | 'rollback', argv: readonly string[], ctx: CommandContext): Promise<number> {
  const args = new Args(argv);
  const route = args.positional('the route, e.g. /api/v1/threads');
  let mode: EditMode;
  if (command === 'set') {
    const wanted = args.positional('the mode: legacy or next');
    if (wanted !== 'legacy' && wanted !== 'next') throw new CommandError(`mode '${wanted}' is not one of legacy, next (shadow and canary come later)`);
    mode = wanted;
  } else mode = command === 'promote' ? 'next' : 'legacy';
  const methodsText = args.option('--methods');
  const handler = args.option('--handler');
  const why = args.option('--why') ?? (command === 'rollback' ? 'rollback' : undefined);
  args.done();
  if (why === undefined || why.trim() === '') throw new CommandError(`say why: --why "..." (it goes to the audit log with the change)`);
  const methods = methodsText?.split(',').map((method) => method.trim());
  const words = [command, route, ...(command === 'set' ? [mode] : []), ...(methodsText ? ['--methods', methodsText] : []), ...(handler ? ['--handler', handler] : [])].join(' ');

  const stack = await connectStack(ctx.config.stateDir);
  const routesFile = stack?.routesFile ?? ctx.config.routesFile;
  const before = readFileSync(routesFile, 'utf8');
  const audit = openAuditLog(join(ctx.config.stateDir, STATE_FILE));
  const log = (entry: Omit<AuditEntry, 'who' | 'why' | 'command' | 'route'>): AuditRecord => audit.record({ who: ctx.who, why, command: words, route, ...entry });
  try {
    let edit;
    try {
      if (command === 'promote') {
        const current = editRoute(before, { route, mode: 'next', handler: handler ?? 'any' }).before;
        if (current === null) throw new RouteEditError(`there is no route '${route}' to promote; add it with: npx strangler set ${route} next --handler <name>`);
        if (current.mode === 'next') throw new RouteEditError(`route '${route}' is in mode next already: there is nothing to promote it to yet`);
      }
      edit = editRoute(before, { route, mode, ...(handler ? { handler } : {}), ...(methods ? { methods } : {}) });
    } catch (err) {
      if (!(err instanceof RouteEditError)) throw err;
      log({ diff: '', revisionBefore: revisionOfText(before), revisionAfter: null, outcome: 'refused', detail: err.message });
      ctx.print(`strangler ${command}: ${err.message}; nothing was changed`);
      return 1;
    }
    const revisionBefore = revisionOfText(before);
    const revisionAfter = revisionOfText(edit.text);
    const diff = lineDiff(before, edit.text);
    const problems = await checkText(edit.text, routesFile, stack, ctx);
    if (problems.length > 0) {
      log({ diff, revisionBefore, revisionAfter: null, outcome: 'refused', detail: problems.join('\n') });
      ctx.print(`strangler ${command}: refused, nothing was changed:\n${problems.join('\n')}`);
      return 1;
    }
    // Another command may have changed the file while this one checked its edit: its change must not be lost.
    if (readFileSync(routesFile, 'utf8') !== before) {
      log({ diff, revisionBefore, revisionAfter: null, outcome: 'refused', detail: 'routes.yaml changed while the edit was checked' });
      ctx.print(`strangler ${command}: ${routesFile} changed while this edit was checked (another command?); nothing was changed: run it again`);
      return 1;
    }
    writeAtomically(routesFile, edit.text);
    const summary = `${edit.after.exact ? '= ' : ''}${edit.after.path}: ${describeState(edit.before)} -> ${describeState(edit.after)}; ${routesFile} is revision ${revisionAfter}`;
    if (!stack) {
      log({ diff, revisionBefore, revisionAfter, outcome: 'not applied', detail: `no running stack answers on ${ctx.config.stateDir}` });
      ctx.print(`${summary}\nNo running stack found (state directory ${ctx.config.stateDir}): the file was changed and nothing was applied; \`npx strangler up\` serves it.`);
      return 0;
    }
    try {
      const result = await stack.apply(edit.toward);
      log({
        diff,
        revisionBefore,
        revisionAfter,
        outcome: 'applied',
        detail: `every process agreed after ${Math.round(result.agreedAfterMs)} ms${result.nginxReloaded ? '; nginx reloaded' : ''}`,
      });
      ctx.print(
        `${summary}\nApplied (${edit.toward === 'ts' ? 'TS server first, then the front door' : 'front door first, then the TS server'}); every process agreed after ${Math.round(result.agreedAfterMs)} ms.`,
      );
      printProcesses(result.status, ctx.print);
      return 0;
    } catch (err) {
      if (!(err instanceof StackCallError)) throw err;
      if (err.kind === 'refused') writeAtomically(routesFile, before);
      log({ diff, revisionBefore, revisionAfter: err.kind === 'refused' ? null : revisionAfter, outcome: err.kind, detail: err.message });
      ctx.print(`strangler ${command}: ${err.kind === 'refused' ? 'refused; routes.yaml is back as it was' : 'failed'}: ${err.message}`);
      return 1;
    }
  } finally {
    audit.close();
  }
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
  const audit = openAuditLog(join(ctx.config.stateDir, STATE_FILE));
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

/** `status`: each route of the file, then the revision every process serves, and whether they agree. */
export async function status(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const args = new Args(argv);
  const json = args.flag('--json');
  args.done();
  const stack = await connectStack(ctx.config.stateDir);
  const live = stack ? await stack.status() : null;
  const routesFile = live?.routesFile ?? ctx.config.routesFile;
  const text = readFileSync(routesFile, 'utf8');
  if (json) {
    ctx.print(JSON.stringify({ routesFile, revision: revisionOfText(text), stack: live }, null, 2));
    return live === null || live.agreed ? 0 : 1;
  }
  ctx.print(`${routesFile}: revision ${revisionOfText(text)}`);
  try {
    ctx.print(
      table(
        ['route', 'mode', 'handler', 'methods'],
        parseRouteTable(text, routesFile, ctx.env).routes.map((r) => [`${r.exact ? '= ' : ''}${r.path}`, r.mode, r.handler ?? '-', r.methods?.join(',') ?? 'all']),
      ),
    );
  } catch (err) {
    if (!(err instanceof RouteTableError)) throw err;
    ctx.print(`the file is not a valid table:\n${err.message}`);
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
    table(
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
  const audit = openAuditLog(join(ctx.config.stateDir, STATE_FILE));
  try {
    const records = audit.list({ ...(route ? { route } : {}), limit });
    if (json) {
      ctx.print(JSON.stringify(records, null, 2));
      return 0;
    }
    if (records.length === 0) ctx.print(`no changes recorded in ${join(ctx.config.stateDir, STATE_FILE)}${route ? ` for ${route}` : ''}`);
    for (const r of records) {
      ctx.print(`#${r.id} ${r.at} ${r.who}: strangler ${r.command} -> ${r.outcome}`);
      ctx.print(`    why: ${r.why}`);
      ctx.print(`    revision: ${r.revisionBefore ?? '-'} -> ${r.revisionAfter ?? '-'}${r.detail ? `; ${r.detail.split('\n')[0]}` : ''}`);
      for (const line of r.diff.split('\n').filter(Boolean)) ctx.print(`    ${line}`);
    }
    return 0;
  } finally {
    audit.close();
  }
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows].map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}
