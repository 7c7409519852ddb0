/**
 * Where the log lines of a gateway process go: standard output, each line written as it comes, so the
 * listening line and a fatal line are out before the next event or an exit.
 *
 * Two cases decide whether a process can still stop when asked (pino's own destination loops forever at
 * exit on a pipe whose reader is gone, so a SIGTERM'd server whose parent died never exited):
 * - nobody reads any more (EPIPE, EBADF...): logging stops for good, and nothing waits on it;
 * - the reader is slow (EAGAIN on a non-blocking pipe): lines wait in a bounded buffer and go out when
 *   the pipe has room; past the bound they are dropped, counted, and a line says how many.
 *
 * @example
 * const logger = pino({ level: 'info' }, stdoutLines());
 */
import { writeSync } from 'node:fs';

const STDOUT_FD = 1;
const MAX_BUFFERED_BYTES = 1024 * 1024;
const RETRY_MS = 20;

/** A destination for pino: `write` takes one serialized line. */
export interface LineSink {
  write(line: string): void;
}

export interface LineSinkOptions {
  readonly fd?: number;
  readonly maxBufferedBytes?: number;
  readonly retryMs?: number;
}

/**
 * A line sink on a file descriptor that never blocks an exit and never throws.
 *
 * @example
 * const sink = fdLines({ fd: 2 });
 * sink.write('{"event":"hello"}\n');
 */
export function fdLines({ fd = STDOUT_FD, maxBufferedBytes = MAX_BUFFERED_BYTES, retryMs = RETRY_MS }: LineSinkOptions = {}): LineSink {
  let pending: Buffer = Buffer.alloc(0);
  let gone = false;
  let retry: NodeJS.Timeout | undefined;
  let dropped = 0;

  /** Write what is pending; false when the descriptor is gone or has no room now. */
  const writePending = (): boolean => {
    while (pending.length > 0) {
      try {
        pending = pending.subarray(writeSync(fd, pending));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return false;
        gone = true;
        pending = Buffer.alloc(0);
        return false;
      }
    }
    return true;
  };

  const flush = (): void => {
    retry = undefined;
    if (writePending() && dropped > 0) {
      const count = dropped;
      dropped = 0;
      pending = Buffer.from(
        `${JSON.stringify({ level: 'warn', time: new Date().toISOString(), event: 'log_lines_dropped', count, msg: `${count} log lines dropped: the reader of standard output was too slow` })}\n`,
      );
      writePending();
    }
    // An unref'd retry: a slow reader never keeps the process alive, and an exit makes one last try.
    if (!gone && pending.length > 0) (retry = setTimeout(flush, retryMs)).unref();
  };

  process.once('exit', () => {
    if (!gone && pending.length > 0) writePending();
  });

  return {
    write(line) {
      if (gone) return;
      const bytes = Buffer.from(line);
      if (pending.length + bytes.length > maxBufferedBytes) {
        dropped++;
        return;
      }
      pending = pending.length === 0 ? bytes : Buffer.concat([pending, bytes]);
      if (retry === undefined) flush();
    },
  };
}

let stdout: LineSink | undefined;

/** The one sink on standard output that every logger of this process shares. */
export const stdoutLines = (): LineSink => (stdout ??= fdLines());
