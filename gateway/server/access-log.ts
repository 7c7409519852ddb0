/**
 * One JSON log line per request, written when the answer is complete, with the request id, which side
 * answered and how long it took.
 */
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../log/index.ts';
import type { ServerEnv } from './env.ts';

export interface AccessLogOptions {
  readonly logger: Logger;
  /** Which listener the line is about, when a process has more than one. */
  readonly listener?: 'public' | 'internal';
}

/**
 * @example
 * app.use(accessLog({ logger }));
 * // {"event":"request","request_id":"…","method":"GET","path":"/api/v1/boards","status":200,"backend":"ts","duration_ms":1.2}
 */
export const accessLog = ({ logger, listener = 'public' }: AccessLogOptions): MiddlewareHandler<ServerEnv> =>
  async function accessLog(c, next) {
    const startedAt = performance.now();
    await next();
    // Without Node bindings (app.request in tests) the Fetch request is all there is.
    const incoming = c.env?.incoming;
    const backend = c.get('backend') ?? 'ts';
    // A proxied answer went straight to the socket; only the Node response knows its status.
    const status = backend === 'legacy' && c.env ? c.env.outgoing.statusCode : c.res.status;
    logger.info(
      {
        event: 'request',
        listener,
        request_id: c.get('requestId'),
        method: incoming?.method ?? c.req.method,
        path: incoming?.url ?? c.req.path,
        status,
        backend,
        duration_ms: Math.round((performance.now() - startedAt) * 10) / 10,
      },
      'request',
    );
  };
