/**
 * JSON-lines logging for every Node process of the gateway, one line per event on stdout (written so
 * that a reader that is gone or slow never stops the process from exiting: see ./stdout.ts).
 *
 * @example
 * const log = createLogger('edge', config.logLevel);
 * log.info({ event: 'listening', url }, 'edge listening');
 */
import { pino, type Logger } from 'pino';
import { stdoutLines } from './stdout.ts';

export type { Logger };
export { fdLines, stdoutLines, type LineSink, type LineSinkOptions } from './stdout.ts';

/** `level` comes from the program's configuration (gateway/config: LOG_LEVEL). */
export const createLogger = (service: string, level: string): Logger =>
  pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stdoutLines(),
  );

/** Log a fatal JSON line and exit 1: for a process that cannot start (bad config, port taken). */
export type Fail = (event: string, message: string, extra?: Record<string, unknown>) => never;

/**
 * @example
 * const fail = failWith(logger);
 * if (!table) fail('refused', 'the route table is invalid, not starting');
 */
export const failWith =
  (logger: Logger): Fail =>
  (event, message, extra = {}) => {
    logger.fatal({ event, ...extra }, message);
    process.exit(1);
  };
