/**
 * The TS server process: a public listener behind the front door and an internal listener for legacy.
 * Environment: TS_HOST (127.0.0.1), TS_PORT (8081; 0 picks a free port), INTERNAL_HOST (127.0.0.1),
 * INTERNAL_PORT (8082), STRANGLER_INTERNAL_TOKEN (required, at least 32 bytes), ROUTES (routes.yaml in
 * the repository root), LOG_LEVEL; the services read their own (the forum: FORUM_DB).
 * SIGHUP reloads the route table (a bad one is logged and the last good one stays live); SIGTERM stops
 * accepting, lets requests in flight finish (for up to 10 s) and exits 0; SIGINT does the same.
 *
 * @example
 * TS_PORT=0 INTERNAL_PORT=0 STRANGLER_INTERNAL_TOKEN=$(openssl rand -hex 32) node --import tsx gateway/server/main.ts
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '../../services/index.ts';
import { createInternalApp, internalTokenFrom } from '../internal/index.ts';
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

const internalHost = env.INTERNAL_HOST || '127.0.0.1';
const internalPort = portFromEnv(env, 'INTERNAL_PORT', '8082', fail);
const tokenCheck = internalTokenFrom(env);
if (!tokenCheck.ok) fail('refused', `not starting: ${tokenCheck.reason}`);
const internalToken = tokenCheck.token;

const table = loadTableOrFail(routesFile, env, fail);

let serviceSet: ServiceSet;
try {
  serviceSet = composeServices(env, logger, { legacyUrl: table.backends.legacy.url, internalToken });
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

const listening = () => {
  let done!: (url: string) => void;
  const promise = new Promise<string>((resolveUrl) => (done = resolveUrl));
  return { promise, onListen: (info: AddressInfo) => done(`http://${info.address}:${info.port}`) };
};
const publicListening = listening();
const internalListening = listening();

const server = serve({ fetch: tsServer.app.fetch, hostname: host, port, serverOptions: { ServerResponse: ConventionalHeaderCase } }, publicListening.onListen) as Server;
server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
server.headersTimeout = HEADERS_TIMEOUT_MS;
server.on('error', (err) => failOnListenError(err, { host, port, portVariable: 'TS_PORT' }, fail));

const internalApp = createInternalApp({ services: serviceSet.services, token: internalToken, logger });
const internalServer = serve({ fetch: internalApp.fetch, hostname: internalHost, port: internalPort }, internalListening.onListen) as Server;
// Legacy's client drops idle connections after 30 s; staying open longer means the client always closes first.
internalServer.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
internalServer.headersTimeout = HEADERS_TIMEOUT_MS;
internalServer.on('error', (err) => failOnListenError(err, { host: internalHost, port: internalPort, portVariable: 'INTERNAL_PORT' }, fail));

void Promise.all([publicListening.promise, internalListening.promise]).then(([url, internalUrl]) => {
  // Whatever LOG_LEVEL says, the listening line is how supervisors and tests learn the ports; it is
  // written once both listeners are up.
  logger.child({}, { level: 'info' }).info(
    { event: 'listening', url, internal_url: internalUrl, routes: routesFile, services: serviceSet.services.map((s) => s.name) },
    `TS server listening on ${url} (internal endpoints on ${internalUrl})`,
  );
});

reloadOnSighup({ routesFile, env, logger, swap: (next) => tsServer.swapTable(next) });

let stopping = false;
const drain = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ event: 'draining', signal }, `${signal}: draining`);
  const servers = [server, internalServer];
  const deadline = setTimeout(() => servers.forEach((s) => s.closeAllConnections()), DRAIN_TIMEOUT_MS);
  deadline.unref();
  const closed = servers.map(
    (s) =>
      new Promise<void>((done) => {
        // Keep-alive connections busy at SIGTERM become idle once their answer is out; close them then.
        setInterval(() => s.closeIdleConnections(), DRAIN_POLL_MS).unref();
        s.on('request', (_req, res) => res.setHeader('connection', 'close'));
        s.close(() => done());
        s.closeIdleConnections();
      }),
  );
  void Promise.all(closed)
    .then(() => proxy.close())
    .finally(() => {
      serviceSet.close();
      logger.info({ event: 'stopped' }, 'stopped');
      process.exit(0);
    });
};
process.on('SIGTERM', drain);
process.on('SIGINT', drain);
