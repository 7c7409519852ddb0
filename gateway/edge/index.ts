/**
 * The Node edge: the front door the gateway embeds when nginx is not installed, with the nginx
 * config's semantics (normalization, /_internal refused, forged identity headers stripped, request id
 * minted, forwarded headers from the socket, longest-prefix routing, body size limit).
 *
 * @example
 * const edge = await startEdge({ table: loadRouteTable('routes.yaml', process.env), port: 0, logger });
 * console.log(edge.url); // http://127.0.0.1:41234
 * edge.swapTable(loadRouteTable('routes.yaml', process.env)); // after an edit
 * await edge.close();
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/index.ts';
import { createProxy, createUpgradeProxy, loadErrorPages, MAX_REQUEST_HEAD_BYTES } from '../proxy/index.ts';
import type { RouteTable } from '../routes/types.ts';
import { answerClientError } from './client-error.ts';
import { NginxOrderResponse } from './header-order.ts';
import { createConnectRefusal, createEdgeHandler, createEdgeUpgradeHandler, type EdgeHandlerOptions } from './handler.ts';

export { edgeRequestHeaders, isForgeableHeader } from './headers.ts';

// Longer than a browser's idle keep-alive so the client, not the edge, closes an idle connection
// (nginx's keepalive_timeout default is 75 s too).
const KEEP_ALIVE_TIMEOUT_MS = 75_000;
const HEADERS_TIMEOUT_MS = 60_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
const DRAIN_POLL_MS = 50;

export interface EdgeOptions {
  readonly table: RouteTable;
  readonly logger: Logger;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: any free port. */
  readonly port?: number;
  readonly errorPagesDir?: string;
  /** Name the side, route and revision of what the edge sends to legacy (STRANGLER_ANSWERED_BY=1); default off. */
  readonly answeredBy?: boolean;
  /** Called once per request legacy answered because the TS server could not (docs/traffic-modes.md, "Fallback"). */
  readonly onFallback?: EdgeHandlerOptions['onFallback'];
}

export interface Edge {
  readonly url: string;
  readonly server: Server;
  /** The table serving requests now. */
  table(): RouteTable;
  /** Replace the live table whole; requests already routed keep the one they started with. */
  swapTable(table: RouteTable): void;
  /** Stop accepting, let requests in flight finish (at most `drainTimeoutMs`), close upstream connections. */
  close(drainTimeoutMs?: number): Promise<void>;
}

/** Listen and serve; rejects with the listen error (EADDRINUSE, EACCES) when the port cannot be bound. */
export async function startEdge({ table: initialTable, logger, host = '127.0.0.1', port = 0, errorPagesDir, answeredBy = false, onFallback }: EdgeOptions): Promise<Edge> {
  let table = initialTable;
  const { proxyTimeoutMs } = table.settings;
  const proxy = createProxy({ logger, timeoutMs: proxyTimeoutMs, errorPagesDir });
  const pages = loadErrorPages(errorPagesDir);
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  const handle = createEdgeHandler({ currentTable: () => table, proxy, pages, logger, answeredBy, ...(onFallback ? { onFallback } : {}) });
  const server = createServer({ ServerResponse: NginxOrderResponse, maxHeaderSize: MAX_REQUEST_HEAD_BYTES }, (req, res) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    if (draining) res.setHeader('Connection', 'close');
    handle(req, res);
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  // A request Node's parser refuses never reaches the handler; without this Node answers a bare 400 or 431.
  server.on('clientError', answerClientError({ pages, logger }));
  // Without an 'upgrade' listener Node would hand a WebSocket handshake to the request handler as a plain GET.
  const upgrades = createUpgradeProxy({
    logger,
    timeoutMs: proxyTimeoutMs,
    pages,
    ServerResponse: NginxOrderResponse,
    reuseConnection: (socket) => server.emit('connection', socket),
  });
  server.on('upgrade', createEdgeUpgradeHandler({ currentTable: () => table, upgrades, pages, logger }));
  server.on('connect', createConnectRefusal({ upgrades, pages }));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ event: 'server_error', err }, 'edge server error'));
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  return {
    url,
    server,
    table: () => table,
    swapTable(next) {
      const before = table.settings.proxyTimeoutMs;
      const after = next.settings.proxyTimeoutMs;
      if (before !== after)
        logger.warn({ event: 'restart_needed', setting: 'proxyTimeoutMs', live: before, wanted: after }, 'the upstream timeout changes on restart, not on reload');
      table = next;
    },
    async close(drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS) {
      draining = true;
      // A tunnel has no request to finish; it would hold server.close() until the deadline.
      upgrades.close();
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Connections busy now turn idle once their answer is out; close each as soon as it does.
      const poll = setInterval(() => server.closeIdleConnections(), DRAIN_POLL_MS);
      const deadline = setTimeout(() => server.closeAllConnections(), drainTimeoutMs);
      server.closeIdleConnections();
      await closed;
      clearInterval(poll);
      clearTimeout(deadline);
      await proxy.close();
    },
  };
}
