/**
 * The forum's API answers, byte for byte as docs/forum-api.md defines them: compact JSON,
 * `application/json; charset=utf-8`, `Cache-Control: no-store`, errors as
 * `{"error":{"code":"…","message":"…"}}`.
 */

export const API_ERROR_CODES = ['bad_request', 'unauthorized', 'forbidden', 'not_found', 'method_not_allowed', 'too_large', 'invalid', 'internal', 'unavailable'] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** An expected failure, thrown by a handler and turned into the error JSON by {@link apiErrorResponse}. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/**
 * A JSON answer with the API's headers. Content-Length is set so that HEAD reports the GET body's size.
 *
 * @example
 * return apiJson({ boards });
 */
export const apiJson = (body: unknown, status = 200, headers: Readonly<Record<string, string>> = {}): Response => apiJsonEncoded(JSON.stringify(body), status, headers);

/**
 * A JSON answer whose body is already encoded (compact JSON, as JSON.stringify writes it), with the
 * API's headers: bytes go to the socket as they are, in one write with the head.
 *
 * @example
 * return apiJsonEncoded(queries.boardsJson());
 */
export function apiJsonEncoded(body: string | Uint8Array<ArrayBuffer>, status = 200, headers: Readonly<Record<string, string>> = {}): Response {
  return new Response(body, {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'content-length': String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength),
      ...headers,
    },
  });
}

/**
 * The error JSON for an {@link ApiError}.
 *
 * @example
 * apiErrorResponse(new ApiError(404, 'not_found', 'thread 9 does not exist')); // 404 {"error":{"code":"not_found",…}}
 */
export const apiErrorResponse = (err: ApiError): Response => apiJson({ error: { code: err.code, message: err.message } }, err.status, err.headers);

/**
 * 405 for a known path: `Allow` lists the methods, the message says which to use.
 *
 * @example
 * throw methodNotAllowed('DELETE', ['GET']); // 405, Allow: GET, "method DELETE is not allowed here; use GET"
 */
export function methodNotAllowed(method: string, allow: readonly string[]): ApiError {
  const list = allow.join(', ');
  return new ApiError(405, 'method_not_allowed', `method ${method} is not allowed here; use ${list}`, { allow: list });
}

/**
 * 404 for a path no API endpoint answers.
 *
 * @example
 * throw noEndpoint(); // {"error":{"code":"not_found","message":"no API endpoint at this path"}}
 */
export const noEndpoint = (): ApiError => new ApiError(404, 'not_found', 'no API endpoint at this path');
