/**
 * Every child process a test file starts is tracked, so that none outlives the file, whatever happens
 * to the test: test/helpers/setup.ts (a vitest setup file) routes `child_process.spawn` through
 * {@link trackChild}, which starts each child in a process group of its own and lists it here and with
 * this test process's reaper (test/helpers/reaper.mjs). Then:
 * - at the end of every test file, {@link stopTrackedChildren} stops what is still running (a test that
 *   timed out, a hook that failed, a start that resolved after its test gave up);
 * - on exit or SIGINT/SIGTERM/SIGHUP of the test process, every group gets SIGTERM at once;
 * - when the test process dies in any way at all (SIGKILL included), the reaper sees its stdin close and
 *   stops every group still listed, SIGKILL after a grace period.
 * The project's own servers also stop by themselves once their parent is gone (STRANGLER_PARENT_PID).
 *
 * @example
 * const child = trackChild(spawn('nginx', args));
 * await stopTrackedChildren(); // SIGTERM, then SIGKILL after 5 s, to each group still running
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isAlive, signalGroup, startTimeOf } from './pids.mjs';

export { isAlive };

const STOP_GRACE_MS = 5_000;
const POLL_MS = 50;
const REAPER = fileURLToPath(new URL('./reaper.mjs', import.meta.url));

interface Tracked {
  readonly child: ChildProcess;
  readonly name: string;
  /** Its start time (pids.mjs): the pid may name another process once this one is gone. */
  readonly startTime: string | null;
}

const live = new Map<number, Tracked>();
let reaper: ChildProcess | undefined;

/** This test process's reaper, started on first use with the spawn it was given (not a tracked one). */
function tellReaper(line: string, spawnUntracked: typeof spawn): void {
  if (!reaper) {
    reaper = spawnUntracked(process.execPath, [REAPER], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    reaper.unref();
    // Only its exit ends the reaper's stdin: the test process must not wait on the pipe.
    (reaper.stdin as unknown as { unref(): void }).unref();
    reaper.stdin!.on('error', () => {});
  }
  reaper.stdin!.write(`${line}\n`);
}

/**
 * List `child` until it exits: stopped at the end of the test file if still running then, and by the
 * reaper if the test process dies first. `spawnUntracked` starts the reaper (the setup file passes the
 * original spawn). Returns the child.
 */
export function trackChild(child: ChildProcess, spawnUntracked: typeof spawn = spawn): ChildProcess {
  const pid = child.pid;
  if (pid === undefined) return child; // it could not start: its 'error' event says why
  const startTime = startTimeOf(pid);
  live.set(pid, { child, name: [child.spawnfile, ...child.spawnargs.slice(1)].join(' ').slice(0, 200), startTime });
  tellReaper(`+${pid}${startTime === null ? '' : `:${startTime}`}`, spawnUntracked);
  child.once('exit', () => {
    live.delete(pid);
    reaper?.stdin?.write(`-${pid}\n`);
  });
  return child;
}

/** SIGTERM to every tracked group at once, without waiting: for an exit or a signal of the test process. */
export function signalTrackedChildren(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const [pid, { startTime }] of live) signalGroup(pid, signal, startTime);
}

/**
 * Stop every tracked child still running: SIGTERM to its group, SIGKILL after the grace period. Resolves
 * with the names of those it had to stop.
 */
export async function stopTrackedChildren(graceMs = STOP_GRACE_MS): Promise<string[]> {
  const leftovers = [...live.entries()];
  if (leftovers.length === 0) return [];
  const pids = leftovers.map(([pid]) => pid);
  const startTimes = new Map(leftovers.map(([pid, { startTime }]) => [pid, startTime]));
  for (const [pid, startTime] of startTimes) signalGroup(pid, 'SIGTERM', startTime);
  await waitUntilGone(pids, graceMs, startTimes).catch(() => startTimes.forEach((startTime, pid) => signalGroup(pid, 'SIGKILL', startTime)));
  await waitUntilGone(pids, graceMs, startTimes);
  return leftovers.map(([pid, { name }]) => `${name} (pid ${pid})`);
}

/** Poll until none of `pids` runs; rejects naming those still running after `timeoutMs`. */
export async function waitUntilGone(pids: readonly number[], timeoutMs: number, startTimes?: ReadonlyMap<number, string | null>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const alive = (pid: number): boolean => isAlive(pid, startTimes?.get(pid));
  while (pids.some(alive)) {
    if (Date.now() > deadline) throw new Error(`still running after ${timeoutMs} ms: pid ${pids.filter(alive).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
