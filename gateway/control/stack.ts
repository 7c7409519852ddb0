/**
 * The control plane inside `strangler up`, which knows every child, the ports and how nginx was started:
 * the revision each process serves ({@link StackControl.status}), a new table applied in the safe order
 * and waited for until every process serves it ({@link StackControl.apply}), and new handler code put
 * live by a rolling restart of the TS workers ({@link StackControl.reloadCode}). The CLI reaches it
 * through the control socket (./socket.ts).
 *
 * A mode change never reloads nginx: every listed route goes to the TS server whatever its mode
 * (gateway/routes/schema.ts), so nginx's routing stays the same and its config is rewritten and reloaded
 * only when routes are added or removed or their paths or settings change. nginx then serves an older
 * revision whose front-door routing equals the live one's: that is agreement, and status says so.
 *
 * A TS server that is down (crashed, being restarted by the supervisor) does not hold a change up: it
 * loads the file when it starts, so apply switches the front door, reports the TS server as pending
 * instead of waiting for it, and {@link StackControl.reconcile} (called every second by `up`) sends it
 * the table once it is back, should it have read the file before the change. Its handlers are checked
 * against the ones it last reported (or, before it ever answered, the ones the file's table names). A
 * TS server that is up but does not agree within the timeout still fails the change, as before.
 *
 * @example
 * const control = createStackControl({ routesFile, env, token, workers: 2, ts: () => ts.current, front: () => frontDoor });
 * await control.apply('ts'); // TS first, then the front door; resolves once every process serves the file
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { ADMIN_STATUS_PATH, type FrontDoorAdminStatus, type TsAdminStatus } from '../admin/index.ts';
import { frontDoorRouting, NGINX_STATUS_PATH, writeNginxConfig, type WriteNginxConfigOptions } from '../nginx/index.ts';
import type { RunningProcess } from '../process/index.ts';
import { loadRouteTable, parseRouteTable, RouteTableError } from '../routes/index.ts';
import type { RouteTable } from '../routes/types.ts';
import { unknownHandlers } from '../server/service.ts';
import { ControlError } from './errors.ts';

export { ControlError };

/** How long apply waits for every process to serve a new table before it names the one that does not. */
export const AGREEMENT_TIMEOUT_MS = 15_000;
/** How long a rolling restart of the TS workers may take before it is reported as stuck. */
export const ROLLING_RESTART_TIMEOUT_MS = 120_000;
const POLL_MS = 20;
// After a reload, nginx's old workers keep accepting until each has handled its QUIT: one answer with the
// new revision can come from a new worker while an old one still takes connections. Agreement is this
// many answers in a row, each on a connection of its own.
const NGINX_AGREEING_ANSWERS = 3;
const ASK_TIMEOUT_MS = 2_000;

/** How the running nginx was started: what its config is regenerated with (same ports, prefix, file). */
export interface NginxRun {
  readonly binary: string;
  readonly prefix: string;
  readonly conf: string;
  readonly statusPort: number;
  readonly options: WriteNginxConfigOptions;
}

export interface FrontDoorProcess extends RunningProcess {
  /** Set when the front door is nginx. */
  readonly nginx?: NginxRun;
}

export interface StackHandles {
  readonly routesFile: string;
  /** The stack's environment: the table is loaded with it, so ports are the running stack's. */
  readonly env: Readonly<Record<string, string>>;
  readonly token: string;
  /** TS worker processes (1: a single process). */
  readonly workers: number;
  ts(): RunningProcess | undefined;
  front(): FrontDoorProcess | undefined;
}

/** One process (or TS worker) and the table it serves. */
export interface ProcessReport {
  readonly name: string;
  readonly pid: number | null;
  readonly revision: string | null;
  readonly routing?: string;
  readonly agrees: boolean;
  /** Why it agrees without serving the file's revision, or why it could not say. */
  readonly note?: string;
}

export interface StackStatus {
  readonly routesFile: string;
  /** What the file holds now, or why it cannot be loaded. */
  readonly file: { readonly revision: string; readonly routing: string } | { readonly error: string };
  readonly processes: readonly ProcessReport[];
  /** The handlers the running TS server can serve. */
  readonly handlers: readonly string[];
  /** Every process serves the file's table (nginx: or its routing). */
  readonly agreed: boolean;
}

export interface StackControl {
  readonly routesFile: string;
  status(): Promise<StackStatus>;
  /** Problems of a candidate table's text (its own, and handlers the running TS server cannot serve); empty: good. */
  check(text: string): Promise<string[]>;
  /** Make every process serve the file: the TS server first (toward 'ts') or the front door first (toward 'legacy'). */
  apply(toward: 'ts' | 'legacy'): Promise<ApplyResult>;
  /** A TS server that was down during an apply and is back serving another revision than the file's gets it now. */
  reconcile(): Promise<void>;
  /** Restart the TS workers one at a time, so new handler code goes live without a failed request. */
  reloadCode(): Promise<{ status: StackStatus; pids: number[] }>;
}

export interface ApplyResult {
  readonly status: StackStatus;
  readonly agreedAfterMs: number;
  readonly nginxReloaded: boolean;
  /** Processes that were down and load the table when they start (the TS server during a crash); empty: every process agreed. */
  readonly pending: readonly string[];
}

export function createStackControl(stack: StackHandles): StackControl {
  const { routesFile, env, token, workers } = stack;
  const auth = { authorization: `Bearer ${token}` };
  // One change at a time: two commands at once would interleave their signals and waits.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };

  const getJson = async <T>(url: string, headers: Record<string, string> = {}): Promise<T> => {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(ASK_TIMEOUT_MS) });
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    return (await res.json()) as T;
  };
  // A connection of its own per question: a kept-alive one would keep asking the same (maybe old) nginx worker.
  const freshJson = <T>(url: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const req = get(url, { agent: false, headers: { connection: 'close' }, timeout: ASK_TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`${url} answered ${res.statusCode}`));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
          } catch (err) {
            reject(err as Error);
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${url} did not answer within ${ASK_TIMEOUT_MS} ms`)));
      req.on('error', reject);
    });
  // The handlers the TS server last said it serves: what a change is checked against while it is down.
  let lastHandlers: readonly string[] | null = null;
  // Set when an apply found the TS server down: once it is back, reconcile() makes sure it serves the file.
  let tsPending = false;
  const isTsDown = (): boolean => {
    const ts = stack.ts();
    return !ts?.internalUrl || ts.child.exitCode !== null || ts.child.signalCode !== null;
  };
  const tsProcess = (): RunningProcess => {
    const ts = stack.ts();
    if (!ts?.internalUrl) throw new ControlError('failed', 'the TS server is not running (it is being restarted?); try again in a moment');
    return ts;
  };
  const askTs = (): Promise<TsAdminStatus> => getJson<TsAdminStatus>(`${tsProcess().internalUrl}${ADMIN_STATUS_PATH}`, auth);
  const askFront = async (front: FrontDoorProcess): Promise<FrontDoorAdminStatus> => {
    if (front.nginx) return freshJson<FrontDoorAdminStatus>(`http://127.0.0.1:${front.nginx.statusPort}${NGINX_STATUS_PATH}`);
    if (!front.adminUrl) throw new Error('the edge named no admin listener');
    return getJson<FrontDoorAdminStatus>(`${front.adminUrl}${ADMIN_STATUS_PATH}`, auth);
  };

  const tsReports = async (want: string | null): Promise<{ reports: ProcessReport[]; handlers: readonly string[] }> => {
    try {
      const answer = await askTs();
      const reports: ProcessReport[] = [...answer.workers]
        .sort((a, b) => a.worker - b.worker)
        .map((w) => ({
          name: workers > 1 ? `ts worker ${w.worker}` : 'ts',
          pid: w.pid,
          revision: w.revision,
          agrees: want !== null && w.revision === want,
        }));
      const missing = workers - answer.workers.length;
      for (let i = 0; i < missing; i++) reports.push({ name: 'ts worker (starting)', pid: null, revision: null, agrees: false });
      lastHandlers = answer.handlers;
      return { reports, handlers: answer.handlers };
    } catch (err) {
      return { reports: [{ name: 'ts', pid: stack.ts()?.child.pid ?? null, revision: null, agrees: false, note: `did not answer: ${(err as Error).message}` }], handlers: [] };
    }
  };
  const frontReport = async (want: { revision: string; routing: string } | null): Promise<ProcessReport> => {
    const front = stack.front();
    const name = front?.nginx ? 'nginx' : 'edge';
    if (!front) return { name: 'front door', pid: null, revision: null, agrees: false, note: 'not running (being restarted?)' };
    try {
      const { revision, routing } = await askFront(front);
      const pid = front.child.pid ?? null;
      if (want !== null && revision === want.revision) return { name, pid, revision, routing, agrees: true };
      if (want !== null && front.nginx && routing === want.routing)
        return {
          name,
          pid,
          revision,
          routing,
          agrees: true,
          note: `serves its config of revision ${revision}, whose routing equals the live one's (a mode change needs no nginx reload)`,
        };
      return { name, pid, revision, routing, agrees: false };
    } catch (err) {
      const { exitCode, signalCode } = front.child;
      const gone = exitCode !== null || signalCode !== null ? `; it has exited (${signalCode ?? `code ${exitCode}`}) and is being restarted` : '';
      return { name, pid: front.child.pid ?? null, revision: null, agrees: false, note: `did not answer: ${(err as Error).message}${gone}` };
    }
  };

  const fileTable = (): RouteTable => loadRouteTable(routesFile, env);
  const status = async (): Promise<StackStatus> => {
    let file: StackStatus['file'];
    let want: { revision: string; routing: string } | null = null;
    try {
      const table = fileTable();
      want = { revision: table.revision, routing: frontDoorRouting(table) };
      file = want;
    } catch (err) {
      file = { error: (err as Error).message };
    }
    const [{ reports, handlers }, front] = await Promise.all([tsReports(want?.revision ?? null), frontReport(want)]);
    const processes = [...reports, front];
    return { routesFile, file, processes, handlers, agreed: want !== null && processes.every((p) => p.agrees) };
  };

  /** Poll until `lagging()` says nobody lags (null); else fail naming who still does. */
  const waitUntil = async (lagging: () => Promise<string | null>, timeoutMs: number, what: string): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let last: string | null = 'nothing answered yet';
    while (Date.now() < deadline) {
      last = await lagging();
      if (last === null) return;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    throw new ControlError('failed', `${what} within ${timeoutMs / 1000} s: ${last}. The processes that switched keep the new table; run \`npx strangler status\` to see each one`);
  };
  const laggingTs = (revision: string) => async (): Promise<string | null> => {
    const { reports } = await tsReports(revision);
    const behind = reports.filter((r) => !r.agrees);
    return behind.length === 0
      ? null
      : behind.map((r) => `${r.name}${r.pid ? ` (pid ${r.pid})` : ''} serves ${r.revision ?? 'nothing it could report'}${r.note ? ` (${r.note})` : ''}`).join('; ');
  };
  const laggingFront = (table: RouteTable) => {
    let inARow = 0;
    return async (): Promise<string | null> => {
      const report = await frontReport({ revision: table.revision, routing: frontDoorRouting(table) });
      inARow = report.agrees ? inARow + 1 : 0;
      if (report.agrees && (report.name !== 'nginx' || inARow >= NGINX_AGREEING_ANSWERS)) return null;
      return `${report.name}${report.pid ? ` (pid ${report.pid})` : ''} serves ${report.revision ?? 'nothing it could report'}${report.note ? ` (${report.note})` : ''}`;
    };
  };

  /** SIGHUP and wait for agreement; a TS server that is down is not waited for (it reads the file when it starts): the note says so. */
  const switchTs = async (table: RouteTable): Promise<string | null> => {
    if (isTsDown()) {
      tsPending = true;
      return `the TS server is down (being restarted); it loads revision ${table.revision} when it starts`;
    }
    tsProcess().child.kill('SIGHUP');
    await waitUntil(laggingTs(table.revision), AGREEMENT_TIMEOUT_MS, `the TS server did not serve revision ${table.revision}`);
    return null;
  };
  /** The edge reloads on SIGHUP; nginx only when its routing changes (a reload cuts idle kept-alive client connections). */
  const switchFront = async (table: RouteTable): Promise<boolean> => {
    const front = stack.front();
    if (!front) throw new ControlError('failed', 'the front door is not running (being restarted?); it will load the new table when it starts');
    let reloaded = false;
    if (front.nginx) {
      const now = await askFront(front).catch(() => null);
      if (now?.routing !== frontDoorRouting(table)) {
        reloadNginx(front.nginx, table);
        reloaded = true;
      }
    } else {
      front.child.kill('SIGHUP');
    }
    await waitUntil(laggingFront(table), AGREEMENT_TIMEOUT_MS, `the ${front.nginx ? 'nginx' : 'edge'} front door did not serve revision ${table.revision}`);
    return reloaded;
  };
  const reloadNginx = (run: NginxRun, table: RouteTable): void => {
    const previous = readFileSync(run.conf, 'utf8');
    writeNginxConfig(table, run.options);
    const test = spawnSync(run.binary, ['-t', '-q', '-p', run.prefix, '-e', 'stderr', '-c', run.conf], { encoding: 'utf8' });
    if (test.status !== 0) {
      writeFileSync(run.conf, previous);
      throw new ControlError('failed', `nginx refused the config generated from revision ${table.revision} (it keeps serving the last one):\n${test.stderr}`);
    }
    const front = stack.front();
    front?.child.kill('SIGHUP');
  };

  // Before the TS server ever answered: the handlers of the table it started with (it refuses to start without them).
  const servedByFile = (): string[] => {
    try {
      return [...new Set(fileTable().routes.flatMap((r) => (r.handler ? [r.handler] : [])))];
    } catch {
      return [];
    }
  };
  const check = async (text: string): Promise<string[]> => {
    let table: RouteTable;
    try {
      table = parseRouteTable(text, routesFile, env);
    } catch (err) {
      if (err instanceof RouteTableError) return [err.message];
      throw err;
    }
    const handlers = await askTs().then(
      (answer) => (lastHandlers = answer.handlers),
      () => lastHandlers ?? servedByFile(),
    );
    return unknownHandlers(table, handlers).map(
      ({ handler, lines }) =>
        `${routesFile} line ${lines.join(', ')}: handler '${handler}' is not served by the running TS server (it serves: ${handlers.join(', ') || 'none'}); write its service, compose it in the module STRANGLER_SERVICES names, then \`npx strangler reload --code\``,
    );
  };

  return {
    routesFile,
    status,
    check,
    apply: (toward) =>
      serialized(async () => {
        const startedAt = performance.now();
        let table: RouteTable;
        try {
          table = fileTable();
        } catch (err) {
          throw new ControlError('refused', `nothing was switched: ${(err as Error).message}`);
        }
        const problems = await check(readFileSync(routesFile, 'utf8'));
        if (problems.length > 0) throw new ControlError('refused', `nothing was switched:\n${problems.join('\n')}`);
        let nginxReloaded: boolean;
        let tsNote: string | null;
        if (toward === 'ts') {
          tsNote = await switchTs(table);
          nginxReloaded = await switchFront(table);
        } else {
          nginxReloaded = await switchFront(table);
          tsNote = await switchTs(table);
        }
        return { status: await status(), agreedAfterMs: performance.now() - startedAt, nginxReloaded, pending: tsNote === null ? [] : [tsNote] };
      }),
    reconcile: () =>
      serialized(async () => {
        if (!tsPending || isTsDown()) return;
        const table = fileTable();
        const { reports } = await tsReports(table.revision);
        if (reports.every((r) => r.agrees)) {
          tsPending = false;
          return;
        }
        if ((await switchTs(table)) === null) tsPending = false;
      }),
    reloadCode: () =>
      serialized(async () => {
        if (workers < 2) {
          throw new ControlError(
            'refused',
            `a rolling restart needs TS_WORKERS of 2 or more (the stack runs ${workers}): one process cannot restart without a moment when nothing answers. Start the stack with TS_WORKERS=2 (or auto), or restart it`,
          );
        }
        const before = new Set((await askTs()).workers.map((w) => w.pid));
        const revision = fileTable().revision;
        tsProcess().child.kill('SIGUSR2');
        let pids: number[] = [];
        await waitUntil(
          async () => {
            const answer = await askTs().catch(() => null);
            if (answer === null) return 'the TS server did not answer';
            pids = answer.workers.map((w) => w.pid);
            const old = answer.workers.filter((w) => before.has(w.pid));
            if (old.length > 0 || answer.workers.length < workers) return `${old.length} of ${workers} workers still run the old code`;
            if (answer.workers.length > workers) return `${answer.workers.length} workers serve where ${workers} should`;
            const behind = answer.workers.filter((w) => w.revision !== revision);
            return behind.length === 0 ? null : `worker ${behind[0]!.worker} serves ${behind[0]!.revision}, not ${revision}`;
          },
          ROLLING_RESTART_TIMEOUT_MS,
          'the TS workers were not all restarted',
        );
        return { status: await status(), pids };
      }),
  };
}
