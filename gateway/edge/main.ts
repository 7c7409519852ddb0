/**
 * The Node edge process. Its settings come from gateway/config: FRONT_HOST (127.0.0.1), FRONT_PORT
 * (8080; 0 picks a free port), ROUTES (routes.yaml), LOG_LEVEL, STRANGLER_PAGES_DIR, STRANGLER_ANSWERED_BY (1: name the
 * side, route and revision of what it sends to legacy). A bad table at start
 * prints every problem and exits 1; SIGHUP reloads the table (a bad one is logged and the last good one
 * stays live); SIGTERM or SIGINT stops accepting, lets requests in flight finish and exits 0.
 *
 * @example
 * FRONT_PORT=0 ROUTES=routes.yaml node --import tsx gateway/edge/main.ts
 *
 * It reports the table it serves on an admin listener of its own, 127.0.0.1:STRANGLER_ADMIN_PORT (0: a
 * free port), named `admin_url` in its listening line: `GET /_internal/admin/status` (with the bearer
 * token when STRANGLER_INTERNAL_TOKEN is set) answers its revision and front-door routing hash.
 */
import { CONFIG_DEFAULTS, readConfigOrFail } from '../config/index.ts';
import { createLogger, failWith, type Fail } from '../log/index.ts';
import { failOnListenError, loadTableOrFail, reloadOnSighup, stopWhenParentGone } from '../process/index.ts';
import { startAdminListener, type AdminListener, type FrontDoorAdminStatus } from '../admin/index.ts';
import { frontDoorRouting } from '../nginx/routing.ts';
import { startEdge, type Edge } from './index.ts';
import { stateFileIn } from '../control/state-db.ts';
import { lazyEvidence } from '../evidence/lazy.ts';

const env = process.env;
const config = readConfigOrFail(env, process.cwd(), failWith(createLogger('edge', CONFIG_DEFAULTS.LOG_LEVEL)));
const logger = createLogger('edge', config.logLevel);
const fail: Fail = failWith(logger);
const { routesFile } = config;
const { host, port } = config.front;

const table = loadTableOrFail(routesFile, env, fail);
const evidence = lazyEvidence(stateFileIn(config.stateDir), logger, { retentionDays: config.evidenceDays });

let edge: Edge;
try {
  edge = await startEdge({
    table,
    logger,
    host,
    port,
    errorPagesDir: config.pagesDir,
    answeredBy: config.answeredBy,
    // Each fallback goes to the gateway's state file, where the demoter counts it with the TS server's.
    onFallback: (route, reason) => evidence.recorder()?.fallback(route, 'edge', reason),
  });
} catch (err) {
  failOnListenError(err, { host, port, portVariable: 'FRONT_PORT' }, fail);
}
let admin: AdminListener;
try {
  admin = await startAdminListener({
    host: '127.0.0.1',
    port: config.adminPort,
    ...(config.token.ok ? { token: config.token.token } : {}),
    status: (): FrontDoorAdminStatus => ({ revision: edge.table().revision, routing: frontDoorRouting(edge.table()) }),
  });
} catch (err) {
  failOnListenError(err, { host: '127.0.0.1', port: config.adminPort, portVariable: 'STRANGLER_ADMIN_PORT' }, fail);
}
// The listening line is the process's contract with whoever started it: logged whatever LOG_LEVEL says.
logger
  .child({}, { level: 'info' })
  .info({ event: 'listening', url: edge.url, admin_url: admin.url, routes: routesFile, revision: table.revision }, `edge listening on ${edge.url}`);

reloadOnSighup({ routesFile, env, logger, swap: (next) => edge.swapTable(next) });
stopWhenParentGone(env, logger);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ event: 'draining', signal }, `${signal}: draining`);
  void Promise.all([edge.close(), admin.close()]).then(() => {
    evidence.close();
    logger.info({ event: 'stopped' }, 'stopped');
    process.exit(0);
  });
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
