// Process checks shared by test/helpers/children.ts and the reaper (plain JavaScript, so the reaper
// starts without a TypeScript loader). Types: pids.d.mts.
//
// A pid names a process only while it runs: once it is gone its number is free, and on a machine whose
// pid_max is 32768 a test run spawns enough processes to hand it out again, perhaps to another test's
// server leading a group of its own. So a pid is remembered with its start time (field 22 of
// /proc/<pid>/stat), and a process whose start time differs is someone else, never signalled.
import { readFileSync } from 'node:fs';

/** Fields 3 onwards of /proc/<pid>/stat (after the command name, which may hold spaces), or null. */
function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** When `pid` started (clock ticks since boot, as text), or null when no such process is (or no /proc). */
export function startTimeOf(pid) {
  return statFields(pid)?.[19] ?? null;
}

/** Whether the process `pid` names is this one: same start time, or nothing to tell by. */
function isSame(pid, startTime) {
  if (startTime === undefined || startTime === null) return true;
  const now = startTimeOf(pid);
  return now === null || now === startTime;
}

/**
 * Whether `pid` runs (a zombie, exited and not yet collected by its parent, does not), and, given the
 * start time it had, is still that process.
 */
export function isAlive(pid, startTime) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const fields = statFields(pid);
  if (fields === null) return true; // no /proc: kill(0) said it exists
  if (fields[0] === 'Z') return false;
  return startTime === undefined || startTime === null || fields[19] === startTime;
}

/**
 * Send `signal` to the process group `pid` leads (tracked children start detached) and to `pid` itself,
 * unless `pid` now names another process. With no process `pid`, a group `pid` can only be the old
 * one's members (a new group would be led by a new process `pid`): they get it.
 */
export function signalGroup(pid, signal, startTime) {
  if (!isSame(pid, startTime)) return;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // gone already, or not a group leader (spawned with detached: false on purpose)
    }
  }
}
