/**
 * The request id every log line carries. The front door mints one per request in nginx's `$request_id`
 * format; behind it, a process keeps the front door's `X-Request-Id` when it looks like one and mints a
 * fresh one otherwise (a direct request, or a header someone crafted to forge log lines).
 */
import { randomBytes } from 'node:crypto';

const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** A fresh id in nginx's `$request_id` format. */
export const mintRequestId = (): string => randomBytes(16).toString('hex');

/**
 * The id to use for a request, given its `X-Request-Id` header value.
 *
 * @example
 * requestIdFrom('3f1c...'); // '3f1c...'
 * requestIdFrom('bad id\n'); // a freshly minted id
 */
export const requestIdFrom = (header: string | undefined): string => (header !== undefined && ACCEPTED_REQUEST_ID.test(header) ? header : mintRequestId());
