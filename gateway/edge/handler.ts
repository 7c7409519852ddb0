/**
 * The edge's request handler: normalize the target as nginx does, refuse what nginx refuses, pick the
 * backend from the current route table and hand the request to the proxy. One access-log line per
 * request.
 *
 * @example
 * const handle = createEdgeHandler({ currentTable: () => table, proxy, pages, logger });
 * http.createServer(handle);
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log/index.ts';
import { sendErrorPage, type ErrorPages, type Proxy } from '../proxy/index.ts';
import { isInternalPath, normalizeTarget } from '../routes/normalize.ts';
import type { RouteTable } from '../routes/types.ts';
import { mintRequestId } from '../request-id/index.ts';
import { edgeRequestHeaders } from './headers.ts';

// Some servers read '\' as '/' (IIS, anything that tidies Windows-style paths): to them '/\_internal'
// and '/a\..\_internal' are /_internal, while nginx keeps '\' as data. Refused as the nginx config's
// internal location refuses them: '_internal' anywhere after a backslash.
const INTERNAL_AFTER_BACKSLASH = /\\.*_internal/i;

const countHostLines = (rawHeaders: readonly string[]): number => rawHeaders.filter((name, i) => i % 2 === 0 && name.toLowerCase() === 'host').length;

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
    // RFC 9112 §3.2 (and nginx): more than one Host line is a 400. Node keeps the first and drops the
    // rest, so the edge and a backend reading the raw request could disagree on the host.
    // nginx also refuses an empty Host ("client sent invalid host header").
    if (countHostLines(req.rawHeaders) > 1 || req.headers.host === '') {
      sendErrorPage(res, 400, pages, { close: true });
      return;
    }
    // nginx refuses TRACE itself (405), so no backend ever echoes a request, cookies and all, back to a page.
    if (req.method === 'TRACE') {
      res.writeHead(405, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 23, 'Cache-Control': 'no-store', Connection: 'close' });
      res.end('405 Method Not Allowed\n');
      return;
    }
    if (isInternalPath(target.path) || INTERNAL_AFTER_BACKSLASH.test(target.path)) {
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

/**
 * Answer a CONNECT as nginx does: 400 to an authority-form target (`host:port`), which its parser
 * refuses, else 405. Without a listener Node drops the connection without a word.
 *
 * @example
 * server.on('connect', refuseConnect);
 */
export function refuseConnect(req: IncomingMessage, socket: Duplex): void {
  const status = normalizeTarget(req.url ?? '').ok ? 405 : 400;
  socket.on('error', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}
