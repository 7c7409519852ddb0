/**
 * JSON-lines logging for every Node process of the gateway, one line per event on stdout.
 *
 * @example
 * const log = createLogger('edge');
 * log.info({ event: 'listening', url }, 'edge listening');
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export const createLogger = (service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger =>
  pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
