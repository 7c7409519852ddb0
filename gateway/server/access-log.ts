/**
 * One access line per request (the schema of gateway/access, the same as nginx's and the edge's),
 * written when the answer has left: the plan says which route and revision, the proxy's outcome how
 * the forward went. Whatever else wants the record (metrics) gets it through `onRecord`.
 */
import type { ServerResponse } from 'node:http';
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
    // What the line needs is read now, into one small object: a stream's answer stays open for hours,
    // and a closure over `c` would hold the whole request (Hono context, Fetch request) for as long.
    const plan = c.get('plan');
    const outcome = c.get('outcome');
    const incoming = c.env?.incoming;
    const line: OpenLine = {
      logger,
      listener,
      onRecord,
      startedAt,
      requestId: c.get('requestId'),
      method: incoming?.method ?? c.req.method,
      path: incoming?.url ?? c.req.path,
      route: plan?.route.path ?? null,
      revision: plan?.revision ?? null,
      backend: outcome?.backend ?? c.get('backend') ?? 'ts',
      fallback: c.get('fallback') ?? null,
      outcome,
    };
    const outgoing = c.env?.outgoing;
    // Without Node bindings (app.request in tests) the Fetch response is all there is.
    if (!outgoing || !incoming) return writeLine(line, c.res.status, { bytesIn: 0, bytesOut: 0 });
    // A Fetch response is written after the middleware returns, a proxied one straight to the socket:
    // only once the Node response has closed are its status and bytes final.
    if (outgoing.writableFinished || outgoing.destroyed) return writeLine(line, closedStatus(line, outgoing), exchangeBytes(incoming));
    outgoing.once('close', () => writeLine(line, closedStatus(line, outgoing), exchangeBytes(incoming)));
  };

interface OpenLine {
  readonly logger: Logger;
  readonly listener: 'public' | 'internal';
  readonly onRecord: ((record: AccessRecord) => void) | undefined;
  readonly startedAt: number;
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly route: string | null;
  readonly revision: string | null;
  readonly backend: AccessRecord['backend'];
  readonly fallback: AccessRecord['fallback'];
  readonly outcome: ServerEnv['Variables']['outcome'];
}

const closedStatus = ({ outcome }: OpenLine, outgoing: ServerResponse): number =>
  outcome?.status ?? (outgoing.writableFinished || outgoing.headersSent ? outgoing.statusCode : 499);

function writeLine(line: OpenLine, status: number, bytes: { bytesIn: number; bytesOut: number }): void {
  const { logger, listener, onRecord, outcome } = line;
  const record = accessRecord({
    requestId: line.requestId,
    method: line.method,
    path: line.path,
    route: line.route,
    revision: line.revision,
    backend: line.backend,
    status,
    durationMs: performance.now() - line.startedAt,
    upstreamFirstByteMs: outcome?.firstByteMs ?? null,
    ...bytes,
    failure: outcome?.failure ?? null,
    fallback: line.fallback,
  });
  logger.info({ ...record, listener }, 'access');
  onRecord?.(record);
}
