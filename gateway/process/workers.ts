/**
 * A server run as several worker processes with node:cluster (TS_WORKERS > 1): the primary forks them,
 * says once that the server listens when every worker does (on the same ports), forwards SIGHUP and
 * SIGTERM/SIGINT to them, relays sibling messages, and replaces a worker that dies (unless they keep
 * dying). A worker that cannot start stops the whole server with its reason, instead of a restart loop.
 * It knows the route table revision each worker serves (they tell it) and answers a worker that asks.
 * SIGUSR2 restarts the workers one at a time (new code goes live): a new worker is forked and listens
 * before an old one is retired (it stops accepting, and exits once its clients closed their connections),
 * so the server never stops accepting and no kept-alive connection is cut under a client.
 *
 * @example
 * if (config.workers > 1 && cluster.isPrimary) runPrimary({ workers: config.workers, logger, fail, onListening: (url, internalUrl) => logListening(url, internalUrl) });
 */
import cluster, { type Worker } from 'node:cluster';
import type { Fail, Logger } from '../log/index.ts';
import { isWorkerMessage, type WorkerRevision } from './siblings.ts';

// A worker that dies within this long of listening (or before it listens) died young; more than
// MAX_YOUNG_DEATHS of those in a row is a crash loop. Counted per worker's life, not in a wall-clock
// window, so a machine slow to fork replacements cannot hide a loop, nor a busy one fake one.
const YOUNG_MS = 10_000;
const MAX_YOUNG_DEATHS = 5;

export interface PrimaryOptions {
  readonly workers: number;
  readonly logger: Logger;
  readonly fail: Fail;
  /** Called once, when every worker listens (all on the same ports). */
  readonly onListening: (url: string, internalUrl: string) => void;
  /**
   * The environment that makes a worker listen where the first ones do. A port 0 is shared only while a
   * worker holds it: a replacement started when none does would otherwise get a new port.
   */
  readonly pinPorts: (url: string, internalUrl: string) => Record<string, string>;
  /** Answer a worker that asks for the whole cluster's metrics (gateway/metrics/cluster.ts). */
  readonly onMetricsRequest?: (worker: Worker, request: { id: number }) => void;
}

/** Fork the workers and look after them until SIGTERM/SIGINT (exit 0) or a failure (exit 1). */
export function runPrimary({ workers, logger, fail, onListening, pinPorts, onMetricsRequest }: PrimaryOptions): void {
  const live = new Set<Worker>();
  const listening = new Set<Worker>();
  const reasons = new Map<Worker, string>();
  const listenedAt = new Map<Worker, number>();
  const revisions = new Map<Worker, string>();
  // Workers a rolling restart is replacing: their exit is expected, not a crash to replace.
  const retiring = new Set<Worker>();
  let rolling = false;
  let youngDeaths = 0;
  let first: { url: string; internalUrl: string; where: string } | undefined;
  let started = false;
  let stopping = false;

  const signalAll = (signal: NodeJS.Signals, among: Set<Worker> = live): void => among.forEach((worker) => worker.process.kill(signal));
  const failAll = (event: string, message: string): never => {
    stopping = true;
    signalAll('SIGTERM');
    return fail(event, message);
  };

  const serving = (): WorkerRevision[] =>
    [...listening].filter((w) => !retiring.has(w)).map((w) => ({ worker: w.id, pid: w.process.pid ?? 0, revision: revisions.get(w) ?? null }));

  const fork = (): Worker => {
    const worker = cluster.fork(first && listening.size === 0 ? pinPorts(first.url, first.internalUrl) : {});
    live.add(worker);
    worker.on('message', (message: unknown) => {
      if (!isWorkerMessage(message)) return;
      if (message.strangler === 'revision') revisions.set(worker, message.revision);
      if (message.strangler === 'workers?' && worker.isConnected()) worker.send({ strangler: 'workers', id: message.id, workers: serving() });
      if (message.strangler === 'failed') reasons.set(worker, message.message);
      if (message.strangler === 'sibling') live.forEach((other) => other !== worker && other.isConnected() && other.send(message));
      if (message.strangler === 'metrics-request') onMetricsRequest?.(worker, message);
      if (message.strangler !== 'listening') return;
      const here = `${message.url} and ${message.internalUrl}`;
      first ??= { url: message.url, internalUrl: message.internalUrl, where: here };
      if (here !== first.where) {
        const problem = `worker ${worker.id} listens on ${here}, not on ${first.where} as the others`;
        if (!started) failAll('listen_failed', `${problem}; set TS_PORT and INTERNAL_PORT to fixed ports`);
        // The workers it would have shared port 0 with died before it listened: it got a port of its own.
        // It goes; its replacement is pinned to the first port when no worker holds that.
        logger.error({ event: 'worker_misplaced', worker: worker.id, pid: worker.process.pid }, `${problem}; stopping it`);
        reasons.set(worker, problem);
        worker.process.kill('SIGTERM');
        return;
      }
      listening.add(worker);
      listenedAt.set(worker, Date.now());
      if (!started && listening.size === workers) {
        started = true;
        onListening(message.url, message.internalUrl);
      }
    });
    return worker;
  };

  /** Resolves true once `worker` listens, false if it exits first. */
  const listenedOrExited = (worker: Worker): Promise<boolean> =>
    new Promise((done) => {
      const check = setInterval(() => {
        if (listening.has(worker)) finish(true);
        else if (!live.has(worker)) finish(false);
      }, 20);
      const finish = (ok: boolean): void => {
        clearInterval(check);
        done(ok);
      };
    });

  const rollingRestart = async (): Promise<void> => {
    if (rolling || stopping || !started) return;
    rolling = true;
    // The serving ones: workers an earlier restart retired may still be waiting for their clients to close.
    const old = [...listening].filter((w) => !retiring.has(w));
    logger.info({ event: 'rolling_restart', workers: old.length }, `restarting ${old.length} workers one at a time`);
    for (const worker of old) {
      if (stopping) break;
      const fresh = fork();
      if (!(await listenedOrExited(fresh))) {
        logger.error({ event: 'rolling_restart_failed', worker: fresh.id }, 'a new worker did not start; the other workers keep serving');
        break;
      }
      // The old worker stops accepting at once and exits once its clients have closed their connections;
      // the next one is replaced meanwhile (new workers already serve).
      retiring.add(worker);
      if (worker.isConnected()) worker.send({ strangler: 'retire' });
      else worker.process.kill('SIGTERM');
    }
    rolling = false;
    logger.info({ event: 'rolling_restart_done', pids: serving().map((w) => w.pid) }, 'rolling restart done');
  };

  cluster.on('exit', (worker, code, signal) => {
    live.delete(worker);
    listening.delete(worker);
    revisions.delete(worker);
    const retired = retiring.delete(worker);
    const reason = reasons.get(worker) ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
    reasons.delete(worker);
    if (stopping) {
      if (live.size === 0) {
        logger.info({ event: 'stopped' }, 'stopped');
        process.exit(0);
      }
      return;
    }
    if (retired) return void listenedAt.delete(worker);
    if (!started) failAll('refused', `not starting: worker ${worker.id} could not start: ${reason}`);
    const lived = Date.now() - (listenedAt.get(worker) ?? Date.now());
    listenedAt.delete(worker);
    youngDeaths = lived < YOUNG_MS ? youngDeaths + 1 : 0;
    if (youngDeaths > MAX_YOUNG_DEATHS) {
      failAll(
        'crash_loop',
        `workers died ${youngDeaths} times in a row, each within ${YOUNG_MS / 1000} s of listening (the last: ${reason}); stopping instead of replacing them again`,
      );
    }
    logger.error({ event: 'worker_exited', worker: worker.id, pid: worker.process.pid, code, signal, reason }, `worker ${worker.id} exited (${reason}); starting a replacement`);
    fork();
  });

  // A worker not listening yet loads the table when it starts; a SIGHUP could only kill it.
  process.on('SIGHUP', () => signalAll('SIGHUP', listening));
  process.on('SIGUSR2', () => void rollingRestart());
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'draining', signal, workers: live.size }, `${signal}: draining ${live.size} workers`);
    signalAll('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  for (let i = 0; i < workers; i++) fork();
}
