/**
 * One access line per request (the schema of gateway/access, the same as nginx's and the edge's),
 * written when the answer has left: the plan says which route and revision, the proxy's outcome how
 * the forward went. Whatever else wants the record (metrics) gets it through `onRecord`.
 */
import type { MiddlewareHandler } from 'hono';
import { accessRecord, exchangeBytes, type AccessRecord } from '../access/index.ts';
import type { Logger } from '../log/index.ts';
import type { ServerEnv } from './env.ts';

export interface AccessLogOptions {
  readonly logger: Logger;
  /** Which listener the line is about, when a process has more than one. */
  readonly listener?: 'public' | 'internal';
  /** Called with every record once it is logged (e.g. to count it in the metrics). */
  readonly onRecord?: (record: AccessRecord) => void;
}

/**
 * @example
 * app.use(accessLog({ logger, onRecord: metrics.observe }));
 * // {"event":"access","request_id":"…","method":"GET","path":"/api/v1/boards","route":"/api/v1/boards","revision":"3-1f3a9c0b","backend":"ts","status":200,...}
 */
export const accessLog = ({ logger, listener = 'public', onRecord }: AccessLogOptions): MiddlewareHandler<ServerEnv> =>
  async function accessLog(c, next) {
    const startedAt = performance.now();
    await next();
    const write = (status: number, bytes: { bytesIn: number; bytesOut: number }): void => {
      const plan = c.get('plan');
      const outcome = c.get('outcome');
      const record = accessRecord({
        requestId: c.get('requestId'),
        method: c.env?.incoming?.method ?? c.req.method,
        path: c.env?.incoming?.url ?? c.req.path,
        route: plan?.route.path ?? null,
        revision: plan?.revision ?? null,
        backend: outcome?.backend ?? c.get('backend') ?? 'ts',
        status,
        durationMs: performance.now() - startedAt,
        upstreamFirstByteMs: outcome?.firstByteMs ?? null,
        ...bytes,
        failure: outcome?.failure ?? null,
      });
      logger.info({ ...record, listener }, 'access');
      onRecord?.(record);
    };
    const outgoing = c.env?.outgoing;
    // Without Node bindings (app.request in tests) the Fetch response is all there is.
    if (!outgoing) return write(c.res.status, { bytesIn: 0, bytesOut: 0 });
    // A Fetch response is written after the middleware returns, a proxied one straight to the socket:
    // only once the Node response has closed are its status and bytes final.
    const done = (): void => {
      const outcome = c.get('outcome');
      write(outcome?.status ?? (outgoing.writableFinished || outgoing.headersSent ? outgoing.statusCode : 499), exchangeBytes(c.env.incoming));
    };
    if (outgoing.writableFinished || outgoing.destroyed) done();
    else outgoing.once('close', done);
  };
