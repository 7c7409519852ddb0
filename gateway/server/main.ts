/**
 * The TS server process. Environment: TS_HOST (127.0.0.1), TS_PORT (8081; 0 picks a free port), ROUTES
 * (routes.yaml in the repository root), LOG_LEVEL; the services read their own (the forum: FORUM_DB).
 * SIGHUP reloads the route table (a bad one is logged and the last good one stays live); SIGTERM stops
 * accepting, lets requests in flight finish (for up to 10 s) and exits 0; SIGINT does the same.
 *
 * @example
 * TS_PORT=0 ROUTES=routes.yaml node --import tsx gateway/server/main.ts
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '../../services/index.ts';
import { createLogger, failWith, type Fail } from '../log/index.ts';
import { failOnListenError, loadTableOrFail, portFromEnv, reloadOnSighup } from '../process/index.ts';
import { createProxy } from '../proxy/index.ts';
import { createTsServer, type TsServer } from './app.ts';
import { ConventionalHeaderCase } from './header-case.ts';
import type { ServiceSet } from './index.ts';

// nginx keeps idle upstream connections for 60 s; staying open longer means nginx always closes first,
// so it never sends a request on a connection Node is closing at the same moment.
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
const HEADERS_TIMEOUT_MS = 66_000;
const DRAIN_TIMEOUT_MS = 10_000;
const DRAIN_POLL_MS = 100;
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const env = process.env;
const logger = createLogger('ts');

const fail: Fail = failWith(logger);

const host = env.TS_HOST || '127.0.0.1';
const port = portFromEnv(env, 'TS_PORT', '8081', fail);
const routesFile = resolve(ROOT, env.ROUTES || 'routes.yaml');

const table = loadTableOrFail(routesFile, env, fail);

let serviceSet: ServiceSet;
try {
  serviceSet = composeServices(env, logger);
} catch (err) {
  fail('refused', `not starting: the services could not be set up: ${(err as Error).message}`);
}
// The timeout is fixed at start: the proxy's agent outlives table reloads.
const proxy = createProxy({ logger, timeoutMs: table.settings.proxyTimeoutMs });
let tsServer: TsServer;
try {
  tsServer = createTsServer({ table, services: serviceSet.services, proxy, logger, notFound: serviceSet.notFound, errorResponse: serviceSet.errorResponse });
} catch (err) {
  fail('refused', `not starting: ${(err as Error).message}`);
}

const server = serve({ fetch: tsServer.app.fetch, hostname: host, port, serverOptions: { ServerResponse: ConventionalHeaderCase } }, (info: AddressInfo) => {
  const url = `http://${info.address}:${info.port}`;
  // Whatever LOG_LEVEL says, the listening line is how supervisors and tests learn the port.
  logger.child({}, { level: 'info' }).info({ event: 'listening', url, routes: routesFile, services: serviceSet.services.map((s) => s.name) }, `TS server listening on ${url}`);
}) as Server;
server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
server.headersTimeout = HEADERS_TIMEOUT_MS;
server.on('error', (err) => failOnListenError(err, { host, port, portVariable: 'TS_PORT' }, fail));

reloadOnSighup({ routesFile, env, logger, swap: (next) => tsServer.swapTable(next) });

let stopping = false;
const drain = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ event: 'draining', signal }, `${signal}: draining`);
  const deadline = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS);
  deadline.unref();
  // Keep-alive connections busy at SIGTERM become idle once their answer is out; close them then.
  setInterval(() => server.closeIdleConnections(), DRAIN_POLL_MS).unref();
  server.on('request', (_req, res) => res.setHeader('connection', 'close'));
  server.close(() => {
    void proxy.close().finally(() => {
      serviceSet.close();
      logger.info({ event: 'stopped' }, 'stopped');
      process.exit(0);
    });
  });
  server.closeIdleConnections();
};
process.on('SIGTERM', drain);
process.on('SIGINT', drain);
