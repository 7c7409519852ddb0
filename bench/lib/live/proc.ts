/**
 * What the live benchmark reads about a server process from /proc (Linux): its resident memory (the
 * process and its children, for a server that runs workers), its open file descriptors, and the
 * file-descriptor limit a process started through {@link raisedLimitCommand} gets.
 *
 * @example
 * residentKiB(ts.child.pid!);         // 61_244 (VmRSS of the process and its descendants)
 * openFiles(ts.child.pid!);           // 10_037
 * describeFdLimit();                  // { soft: 20000, hard: 20000 }
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** The process and every descendant, found through /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    const current = tree[i]!;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${current}/task`);
    } catch {
      continue; // gone meanwhile
    }
    for (const tid of tasks) {
      try {
        for (const child of readFileSync(`/proc/${current}/task/${tid}/children`, 'utf8').split(' ')) if (child.trim()) tree.push(Number(child));
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return tree;
}

/** VmRSS in KiB of one process (0 when it is gone). */
export function vmRssKiB(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resident memory in KiB of the process and its descendants. */
export const residentKiB = (pid: number): number => processTree(pid).reduce((sum, one) => sum + vmRssKiB(one), 0);

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the process and its descendants have used so far. */
export const cpuSeconds = (pid: number): number =>
  processTree(pid).reduce((sum, one) => {
    try {
      // The command name (in parentheses) may hold spaces: count the fields after its closing one.
      const fields = readFileSync(`/proc/${one}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return sum + (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    } catch {
      return sum;
    }
  }, 0);

/** Entries of /proc/<pid>/<dir> summed over the process and its descendants. */
const entriesOfTree = (pid: number, dir: 'fd' | 'task'): number =>
  processTree(pid).reduce((sum, one) => {
    try {
      return sum + readdirSync(`/proc/${one}/${dir}`).length;
    } catch {
      return sum; // gone meanwhile
    }
  }, 0);

/** Open file descriptors of the process and its descendants (sockets included). */
export const openFiles = (pid: number): number => entriesOfTree(pid, 'fd');

/** Threads of the process and its descendants (the legacy feed holds one per connection). */
export const threadCount = (pid: number): number => entriesOfTree(pid, 'task');

/** Wait until the server's open files are down to `files` (it closed its side of every socket) or `timeoutMs` passed; the count then. */
export async function untilFilesAtMost(pid: number, files: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let now = openFiles(pid);
  while (now > files && Date.now() < deadline) {
    await sleep(100);
    now = openFiles(pid);
  }
  return now;
}

export interface FdLimit {
  /** `ulimit -n` as this benchmark was started. */
  readonly soft: number;
  /** `ulimit -Hn`: what an unprivileged process may raise its soft limit to. */
  readonly hard: number;
}

/** The file-descriptor limits a child of this process inherits. */
export function describeFdLimit(): FdLimit {
  const out = spawnSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' }).stdout.trim().split('\n');
  const asNumber = (text: string | undefined): number => (text === 'unlimited' ? Number.POSITIVE_INFINITY : Number(text));
  return { soft: asNumber(out[0]), hard: asNumber(out[1]) };
}

/** The limit a process started through {@link raisedLimitCommand} runs with: the hard limit. */
export const raisedFdLimit = (limit: FdLimit): number => limit.hard;

/**
 * `command args...` run through sh with its soft file-descriptor limit raised to the hard limit (Node
 * cannot call setrlimit itself); `exec` keeps the process id, so /proc figures read the server itself.
 *
 * @example
 * spawn(...raisedLimitCommand(process.execPath, ['server.js']));  // ['sh', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"', node, 'server.js']]
 */
export const raisedLimitCommand = (command: string, args: readonly string[]): [string, string[]] => ['sh', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"', command, ...args]];
