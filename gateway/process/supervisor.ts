/**
 * Keep a child running the way a process manager does: when it dies it is started again after a delay
 * that doubles with each crash in a row (up to a cap), and after too many fast crashes in a row the
 * supervisor gives up and says why. A child that stayed up for `stableAfterMs` starts a new streak.
 *
 * @example
 * const legacy = supervise({ name: 'legacy', first, start: startLegacy, policy, print, onGiveUp: (why) => stopEverything(why) });
 * legacy.current.child.pid; // the live process, after any restarts
 * await legacy.stop();
 */
import type { RunningProcess } from './index.ts';

export interface RestartPolicy {
  /** Delay before the first restart; doubled for each further crash in a row. */
  readonly delayMs: number;
  readonly maxDelayMs: number;
  /** A child that ran at least this long before it died is not a fast crash. */
  readonly stableAfterMs: number;
  /** Give up after this many fast crashes in a row. */
  readonly giveUpAfter: number;
}

export interface SuperviseOptions {
  readonly name: string;
  /** The running child (its first start is the caller's: a first start that fails is a setup error). */
  readonly first: RunningProcess;
  /** Start it again; give up and kill it when `signal` aborts (the supervisor is stopping). */
  readonly start: (signal: AbortSignal) => Promise<RunningProcess>;
  readonly policy: RestartPolicy;
  readonly print: (line: string) => void;
  readonly onGiveUp: (message: string) => void;
}

export interface Supervised {
  readonly current: RunningProcess;
  /** Stop supervising and stop the child (a restart under way is cancelled or stopped when it lands). */
  stop(): Promise<void>;
}

const TAIL_LINES = 15;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Watch `first` and restart it with `start` whenever it exits, until `stop()` or a give-up. */
export function supervise({ name, first, start, policy, print, onGiveUp }: SuperviseOptions): Supervised {
  let current = first;
  let startedAt = Date.now();
  let streak = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let restarting: Promise<void> = Promise.resolve();
  const cancel = new AbortController();

  const watch = (proc: RunningProcess): void => {
    proc.child.once('exit', (code, signal) => {
      if (stopped || proc !== current) return;
      void proc.stop(); // the leader is gone; this ends whatever it started
      const tail = proc.output.slice(-TAIL_LINES).join('\n');
      crashed(`exited unexpectedly (code ${code}, signal ${signal}) after ${seconds(Date.now() - startedAt)}`, Date.now() - startedAt, tail);
    });
  };

  const crashed = (what: string, upMs: number, tail: string): void => {
    const fast = upMs < policy.stableAfterMs;
    streak = fast ? streak + 1 : 1;
    print(`strangler up: ${name} ${what}`);
    if (tail) print(`--- last lines of ${name} ---\n${tail}\n---`);
    if (fast && streak >= policy.giveUpAfter) {
      stopped = true;
      onGiveUp(
        `${name} crashed ${streak} times in a row, each within ${seconds(policy.stableAfterMs)} of starting; giving up on it. Fix what its last lines say, then start again.`,
      );
      return;
    }
    const delayMs = Math.min(policy.delayMs * 2 ** (streak - 1), policy.maxDelayMs);
    print(`strangler up: restarting ${name} in ${seconds(delayMs)} (crash ${streak} in a row); the rest of the stack keeps serving`);
    timer = setTimeout(() => {
      restarting = restart();
    }, delayMs);
  };

  const restart = async (): Promise<void> => {
    timer = undefined;
    if (stopped) return;
    startedAt = Date.now();
    let proc: RunningProcess;
    try {
      proc = await start(cancel.signal);
    } catch (err) {
      if (!stopped) crashed(`could not be restarted: ${(err as Error).message}`, 0, '');
      return;
    }
    if (stopped) return proc.stop();
    current = proc;
    watch(proc);
    print(`strangler up: ${name} is back (pid ${proc.child.pid}) at ${proc.url}`);
  };

  watch(first);
  return {
    get current() {
      return current;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      cancel.abort();
      await restarting;
      await current.stop();
    },
  };
}
