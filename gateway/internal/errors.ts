/**
 * The internal endpoints' one error shape, `{"error":{"code","message"}}`, and the one place that maps
 * every failure to it: expected ones thrown as {@link InternalError}, validation failures from zod,
 * malformed JSON, a database that stayed locked, and anything else (a logged 500).
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ZodError } from 'zod';
import type { Logger } from '../log/index.ts';

export const INTERNAL_ERROR_CODES = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  internal: 500,
  unavailable: 503,
} as const;

export type InternalErrorCode = keyof typeof INTERNAL_ERROR_CODES;

/**
 * An expected failure of an internal endpoint.
 *
 * @example
 * throw new InternalError('not_found', `user ${id} does not exist`);
 */
export class InternalError extends Error {
  override readonly name = 'InternalError';
  readonly status: (typeof INTERNAL_ERROR_CODES)[InternalErrorCode];
  constructor(
    readonly code: InternalErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.status = INTERNAL_ERROR_CODES[code];
  }
}

/** The JSON answer for an error. */
export function errorJson(code: InternalErrorCode, message: string, headers: Readonly<Record<string, string>> = {}): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status: INTERNAL_ERROR_CODES[code],
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

/**
 * One line naming every problem zod found, by field path: `username: too short (at least 3 characters); password: required`.
 *
 * @example
 * describeZodError(result.error); // "ids: expected 1 to 500 ids"
 */
export function describeZodError(error: ZodError, where: string): string {
  const problems = error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : where;
    if (issue.path.length === 0 && issue.code === 'invalid_type') return `${path}: must be a JSON object`;
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'required' : issue.message;
    return `${path}: ${message}`;
  });
  return problems.join('; ');
}

const SQLITE_BUSY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_TIMEOUT', 'SQLITE_LOCKED']);

/**
 * The internal app's `onError`.
 *
 * @example
 * app.onError(internalErrorHandler(logger));
 */
export const internalErrorHandler = (logger: Logger) =>
  function internalErrors(err: Error, c: Context): Response {
    if (err instanceof InternalError) return errorJson(err.code, err.message, err.headers);
    if (err instanceof HTTPException) {
      // Hono's JSON validator throws 400 for a body that does not parse.
      if (err.status === 400) return errorJson('bad_request', 'the request body is not valid JSON; send a JSON object');
      if (err.status === 413) return errorJson('too_large', 'the request body is larger than 1 MiB');
      if (err.status === 401) return errorJson('unauthorized', 'missing or wrong bearer token');
    }
    const requestId = c.get('requestId' as never) as string | undefined;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && SQLITE_BUSY_CODES.has(code)) {
      logger.warn({ event: 'database_busy', request_id: requestId, code, path: c.req.path }, 'the database stayed locked past the busy timeout');
      return errorJson('unavailable', 'the database is busy; retry shortly', { 'retry-after': '1' });
    }
    logger.error({ event: 'error', request_id: requestId, path: c.req.path, err }, 'unhandled error on an internal endpoint');
    return errorJson('internal', `unexpected error; the TS server's log has the details under request id ${requestId ?? 'unknown'}`);
  };
