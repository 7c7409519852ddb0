/**
 * The edge's request handler: normalize the target as nginx does, refuse what nginx refuses, pick the
 * backend from the current route table and hand the request to the proxy. One access-log line per
 * request.
 *
 * @example
 * const handle = createEdgeHandler({ currentTable: () => table, proxy, pages, logger });
 * http.createServer(handle);
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log/index.ts';
import { sendErrorPage, type ErrorPages, type Proxy } from '../proxy/index.ts';
import { isInternalPath, normalizeTarget } from '../routes/normalize.ts';
import type { RouteTable } from '../routes/types.ts';
import { mintRequestId } from '../request-id/index.ts';
import { edgeRequestHeaders } from './headers.ts';

export interface EdgeHandlerOptions {
  /** The live table; read once per request so a reload never changes a request half-way. */
  readonly currentTable: () => RouteTable;
  readonly proxy: Proxy;
  readonly pages: ErrorPages;
  readonly logger: Logger;
}

export const createEdgeHandler = ({ currentTable, proxy, pages, logger }: EdgeHandlerOptions) =>
  function edge(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = performance.now();
    const requestId = mintRequestId();
    let backend: string | null = null;
    res.setHeader('X-Request-Id', requestId);
    res.once('close', () => {
      logger.info({
        event: 'access',
        request_id: requestId,
        method: req.method,
        path: req.url,
        backend,
        status: res.statusCode,
        duration_ms: Math.round((performance.now() - startedAt) * 1000) / 1000,
        ...(res.writableFinished ? {} : { aborted: true }),
      });
    });

    const target = normalizeTarget(req.url ?? '/');
    if (!target.ok) {
      logger.debug({ event: 'bad_target', request_id: requestId, reason: target.reason }, 'bad request target');
      sendErrorPage(res, 400, pages, { close: true });
      return;
    }
    if (isInternalPath(target.path)) {
      sendErrorPage(res, 404, pages);
      return;
    }
    const table = currentTable();
    const route = table.match(target.path);
    backend = route.backend;
    void proxy.forward(req, res, table.backends[route.backend], {
      path: target.forwardPath + target.search,
      headers: edgeRequestHeaders(req, requestId),
      requestId,
      maxBodyBytes: table.settings.maxBodyBytes,
    });
  };
