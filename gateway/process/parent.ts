/**
 * A server started by a supervisor (`strangler up`, a test) stops when that supervisor is gone instead
 * of running on as an orphan: with STRANGLER_PARENT_PID set (spawnServer sets it), the process checks
 * every second that its parent is still that process and, once it is not, sends itself SIGTERM, so the
 * usual drain runs. A cluster worker needs none: it exits when its primary's channel closes.
 *
 * @example
 * stopWhenParentGone(process.env, logger);
 */
import cluster from 'node:cluster';
import type { Logger } from '../log/index.ts';

const PARENT_CHECK_MS = 1_000;

export function stopWhenParentGone(env: NodeJS.ProcessEnv, logger: Logger, intervalMs = PARENT_CHECK_MS): void {
  const text = env.STRANGLER_PARENT_PID;
  if (!text || !/^\d+$/.test(text) || cluster.isWorker) return;
  const parentPid = Number(text);
  // A process whose parent dies is handed to another (init or a subreaper): its ppid changes.
  const timer = setInterval(() => {
    if (process.ppid === parentPid) return;
    clearInterval(timer);
    logger.warn({ event: 'parent_gone', parent_pid: parentPid }, `the process that started this one (pid ${parentPid}) is gone; stopping`);
    process.kill(process.pid, 'SIGTERM');
  }, intervalMs);
  timer.unref();
}
