/**
 * One JSON log line per request, written when the answer is complete, with the request id, which side
 * answered and how long it took.
 */
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../log/index.ts';
import type { ServerEnv } from './env.ts';

export interface AccessLogOptions {
  readonly logger: Logger;
}

/**
 * @example
 * app.use(accessLog({ logger }));
 * // {"event":"request","request_id":"…","method":"GET","path":"/api/v1/boards","status":200,"backend":"ts","duration_ms":1.2}
 */
export const accessLog = ({ logger }: AccessLogOptions): MiddlewareHandler<ServerEnv> =>
  async function accessLog(c, next) {
    const startedAt = performance.now();
    await next();
    const { incoming, outgoing } = c.env;
    const backend = c.get('backend') ?? 'ts';
    // A proxied answer went straight to the socket; only the Node response knows its status.
    const status = backend === 'legacy' ? outgoing.statusCode : c.res.status;
    logger.info(
      {
        event: 'request',
        request_id: c.get('requestId'),
        method: incoming.method,
        path: incoming.url,
        status,
        backend,
        duration_ms: Math.round((performance.now() - startedAt) * 10) / 10,
      },
      'request',
    );
  };
