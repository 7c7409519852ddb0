// Process checks shared by test/helpers/children.ts and the reaper (plain JavaScript, so the reaper
// starts without a TypeScript loader). Types: pids.d.mts.
import { readFileSync } from 'node:fs';

/** Whether `pid` runs (a zombie, exited and not yet collected by its parent, maybe PID 1, does not). */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: kill(0) said it exists
  }
}

/** Send `signal` to the process group `pid` leads (tracked children start detached) and to `pid` itself. */
export function signalGroup(pid, signal) {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // gone already, or not a group leader (spawned with detached: false on purpose)
    }
  }
}
