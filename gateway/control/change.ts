/**
 * One route change, the same for every caller (the `set`, `promote` and `rollback` commands, and the
 * automatic demoter inside `strangler up`): an edit of routes.yaml's text is checked, written in one
 * step, applied by the running stack in the safe order, and audited with its outcome and the evidence
 * at the time. The caller makes the edit (gateway/control/edit.ts) and says who asked and why.
 *
 * @example
 * const edit = editRoute(before, { route: '/api/v1/threads', mode: 'legacy' });
 * const result = await applyRouteChange({ name: 'strangler rollback', routesFile, before, edit, check, stack, record });
 * result.lines.forEach(print); // '/api/v1/threads: next (...) -> legacy; ... is revision 8-…', 'Applied (...)'
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { revisionOf } from '../routes/index.ts';
import type { AuditEntry, AuditOutcome, AuditRecord } from './audit.ts';
import { lineDiff } from './diff.ts';
import { revisionCounterOf, type EditResult, type RouteState } from './edit.ts';
import type { ApplyResult, StackStatus } from './stack.ts';

/** What a change needs of a running stack: the control socket's client, or the stack control itself (in `up`). */
export interface ChangeTarget {
  apply(toward: 'ts' | 'legacy'): Promise<ApplyResult>;
}

/** A failed call to the stack: `refused` puts the file back, `failed` leaves it (some processes switched). */
export interface ChangeCallError {
  readonly kind: 'refused' | 'failed';
  readonly message: string;
}

export interface RouteChangeOptions {
  /** How the messages name the change: `strangler promote`, `automatic demotion`. */
  readonly name: string;
  readonly routesFile: string;
  /** The file's text the edit was made on. */
  readonly before: string;
  readonly edit: EditResult;
  /** Problems of the edited text (the running stack's check, or the command's own without one); empty: good. */
  readonly check: (text: string) => Promise<string[]>;
  /** The running stack; null: the file alone changes. */
  readonly stack: ChangeTarget | null;
  /** Writes the audit entry; the caller adds who, why, the command, the route and the evidence. */
  readonly record: (entry: Pick<AuditEntry, 'diff' | 'revisionBefore' | 'revisionAfter' | 'outcome' | 'detail'>) => AuditRecord;
  /** Tells a stack's refusal or failure from a bug: returns null for anything else (rethrown). */
  readonly callError: (err: unknown) => ChangeCallError | null;
  /** Where no running stack was found, for the message. */
  readonly stateDir: string;
}

export interface RouteChangeResult {
  readonly outcome: AuditOutcome;
  /** What to tell whoever asked, line by line. */
  readonly lines: readonly string[];
  /** The processes after an apply. */
  readonly status?: StackStatus;
}

/** The revision a table's text gets (`<counter>-<hash>`), without validating it. */
export const revisionOfText = (text: string): string => revisionOf(revisionCounterOf(text), text);

/** A route's state in a message: `canary 10% (handler threads, GET)`. */
export const describeState = (state: RouteState | null): string =>
  state === null
    ? 'absent'
    : `${state.mode}${state.percent !== null ? ` ${state.percent}%` : ''}${state.handler ? ` (handler ${state.handler}${state.methods ? `, ${state.methods.join(',')}` : ', every method'})` : ''}`;

/** Replace the file in one step, so a process reloading at that moment reads the old text or the new, never half. */
export function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.strangler-${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

/** Check, write, apply and audit `edit`; never throws for a refusal or a stack that failed (the outcome says). */
export async function applyRouteChange(options: RouteChangeOptions): Promise<RouteChangeResult> {
  const { name, routesFile, before, edit, stack, record } = options;
  const revisionBefore = revisionOfText(before);
  const revisionAfter = revisionOfText(edit.text);
  const diff = lineDiff(before, edit.text);
  const problems = await options.check(edit.text);
  if (problems.length > 0) {
    record({ diff, revisionBefore, revisionAfter: null, outcome: 'refused', detail: problems.join('\n') });
    return { outcome: 'refused', lines: [`${name}: refused, nothing was changed:\n${problems.join('\n')}`] };
  }
  // Another change may have written the file while this one was checked: its change must not be lost.
  if (readFileSync(routesFile, 'utf8') !== before) {
    record({ diff, revisionBefore, revisionAfter: null, outcome: 'refused', detail: 'routes.yaml changed while the edit was checked' });
    return { outcome: 'refused', lines: [`${name}: ${routesFile} changed while this edit was checked (another command?); nothing was changed: run it again`] };
  }
  writeAtomically(routesFile, edit.text);
  const summary = `${edit.after.exact ? '= ' : ''}${edit.after.path}: ${describeState(edit.before)} -> ${describeState(edit.after)}; ${routesFile} is revision ${revisionAfter}`;
  if (!stack) {
    record({ diff, revisionBefore, revisionAfter, outcome: 'not applied', detail: `no running stack answers on ${options.stateDir}` });
    return {
      outcome: 'not applied',
      lines: [summary, `No running stack found (state directory ${options.stateDir}): the file was changed and nothing was applied; \`npx strangler up\` serves it.`],
    };
  }
  try {
    const result = await stack.apply(edit.toward);
    const agreed = `every process agreed after ${Math.round(result.agreedAfterMs)} ms`;
    const pending = result.pending.length > 0 ? `; pending: ${result.pending.join('; ')}` : '';
    const applied = result.pending.length > 0 ? `every running process agreed after ${Math.round(result.agreedAfterMs)} ms${pending}` : agreed;
    record({ diff, revisionBefore, revisionAfter, outcome: 'applied', detail: `${applied}${result.nginxReloaded ? '; nginx reloaded' : ''}` });
    const order = edit.toward === 'ts' ? 'TS server first, then the front door' : 'front door first, then the TS server';
    return { outcome: 'applied', lines: [summary, `Applied (${order}); ${applied}.`], status: result.status };
  } catch (err) {
    const failure = options.callError(err);
    if (failure === null) throw err;
    if (failure.kind === 'refused') writeAtomically(routesFile, before);
    record({ diff, revisionBefore, revisionAfter: failure.kind === 'refused' ? null : revisionAfter, outcome: failure.kind, detail: failure.message });
    return { outcome: failure.kind, lines: [`${name}: ${failure.kind === 'refused' ? 'refused; routes.yaml is back as it was' : 'failed'}: ${failure.message}`] };
  }
}
