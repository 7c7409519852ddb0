/**
 * vitest setup file (vitest.config.ts `setupFiles`), run in every test file's process before the file:
 * every `child_process.spawn` of the file (spawnServer's, a test's own nginx, anything a new test starts)
 * goes through trackChild, detached into a process group of its own unless the caller says otherwise;
 * what is still running when the file ends is stopped, and said.
 * See test/helpers/children.ts for the exit, signal and SIGKILL cases.
 */
import type * as ChildProcesses from 'node:child_process';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { afterAll } from 'vitest';
import { signalTrackedChildren, stopTrackedChildren, trackChild } from './children.ts';

const INSTALLED = Symbol.for('strangler.trackedSpawn');
const childProcesses = createRequire(import.meta.url)('node:child_process') as typeof ChildProcesses & { [INSTALLED]?: true };

if (!childProcesses[INSTALLED]) {
  const untracked = childProcesses.spawn;
  const spawnWith = untracked as unknown as (this: unknown, ...args: unknown[]) => ChildProcesses.ChildProcess;
  // spawn(command, options) or spawn(command, args, options): the options are the last object argument.
  const trackedSpawn = function (this: unknown, command: string, ...rest: unknown[]) {
    const argv = Array.isArray(rest[0]) ? [rest[0]] : [];
    const options = (Array.isArray(rest[0]) ? rest[1] : rest[0]) as ChildProcesses.SpawnOptions | undefined;
    const child = spawnWith.call(this, command, ...argv, { detached: true, ...options });
    return trackChild(child, untracked);
  } as typeof ChildProcesses.spawn;
  childProcesses.spawn = trackedSpawn;
  childProcesses[INSTALLED] = true;
  // `import { spawn } from 'node:child_process'` sees the tracked one too.
  syncBuiltinESMExports();

  process.once('exit', () => signalTrackedChildren('SIGTERM'));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      signalTrackedChildren('SIGTERM');
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}

afterAll(async () => {
  const stopped = await stopTrackedChildren();
  if (stopped.length > 0) console.warn(`test/helpers/setup.ts: the test file left ${stopped.length} process(es) running; stopped: ${stopped.join('; ')}`);
});
