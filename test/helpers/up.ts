/**
 * `strangler up` as a child of a test: its output collected, a wait for a line, and a stop that ends it
 * and every child it started even when the test failed. It runs in a process group of its own, so a
 * shell line (`STRANGLER_STACK=... npx strangler up`) is stopped as a whole too.
 *
 * @example
 * const up = runUp({ FRONT_PORT: '0' });
 * const [, front] = await up.waitFor(/front door\s+(http:\/\/\S+)/);
 * await up.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forEachLine } from '../../gateway/process/index.ts';
import { freePort, ROOT } from './processes.ts';

const STOP_GRACE_MS = 20_000;

export interface Up {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<number | null>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM (up stops its children), then SIGKILL to the whole group after a grace period. */
  stop(): Promise<void>;
}

const killGroup = (pid: number, signal: NodeJS.Signals = 'SIGKILL'): void => {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
};

/**
 * The environment of a whole stack for `runUp` in `dir`: its own state directory and database, the
 * front door asked for, answers naming their side, free ports for the front door and the TS server.
 *
 * @example
 * const up = runUp({ ...(await stackEnv(dir, 'nginx', 2)), ROUTES: routes });
 */
export async function stackEnv(dir: string, door: 'edge' | 'nginx', workers: number): Promise<Record<string, string>> {
  return {
    STRANGLER_STATE_DIR: join(dir, 'state'),
    FORUM_DB: join(dir, 'forum.db'),
    STRANGLER_FRONT_DOOR: door,
    STRANGLER_ANSWERED_BY: '1',
    FRONT_PORT: String(await freePort()),
    TS_PORT: String(await freePort()),
    LEGACY_PORT: '0',
    TS_WORKERS: String(workers),
  };
}

/** Run `node bin/strangler.js up`, or `shellLine` through sh when given (a README command, as written). */
export function runUp(env: Record<string, string>, shellLine?: string): Up {
  const [command, args] = shellLine === undefined ? [process.execPath, [join(ROOT, 'bin/strangler.js'), 'up']] : ['sh', ['-c', shellLine]];
  // A state directory (control socket, audit log) per stack: test files run stacks side by side from ROOT.
  const stateDir = mkdtempSync(join(tmpdir(), 'strangler-state-'));
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', INTERNAL_PORT: '0', STRANGLER_STATE_DIR: stateDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  const waiters = new Set<() => void>();
  const onLine = (line: string): void => {
    output.push(line);
    waiters.forEach((check) => check());
  };
  forEachLine(child.stdout!, onLine);
  forEachLine(child.stderr!, onLine);
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      waiters.forEach((check) => check());
      done(code);
    }),
  );
  const waitFor = (pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${output.join('\n')}`)), timeoutMs);
      const finish = (err: Error | null, match?: RegExpMatchArray): void => {
        clearTimeout(timer);
        waiters.delete(check);
        if (err) reject(err);
        else resolve(match!);
      };
      const check = (): void => {
        const match = output.join('\n').match(pattern);
        if (match) finish(null, match);
        else if (child.exitCode !== null) finish(new Error(`strangler up exited (${child.exitCode}) without a line matching ${pattern}:\n${output.join('\n')}`));
      };
      waiters.add(check);
      check();
    });
  const signalGroup = (signal: NodeJS.Signals): void => killGroup(child.pid!, signal);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    signalGroup('SIGTERM');
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      signalGroup('SIGKILL');
    }, STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
    rmSync(stateDir, { recursive: true, force: true });
    // up's children lead process groups of their own; an up that had to be killed could not stop them.
    if (killed) for (const [, pid] of output.join('\n').matchAll(/\(pid (\d+)\)/g)) killGroup(Number(pid));
  };
  return { child, output, exited, waitFor, stop };
}
