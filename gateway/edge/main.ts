/**
 * The Node edge process. Environment: FRONT_HOST (127.0.0.1), FRONT_PORT (8080; 0 picks a free port),
 * ROUTES (routes.yaml in the repository root), LOG_LEVEL. A bad table at start prints every problem
 * and exits 1; SIGHUP reloads the table (a bad one is logged and the last good one stays live);
 * SIGTERM or SIGINT stops accepting, lets requests in flight finish and exits 0.
 *
 * @example
 * FRONT_PORT=0 ROUTES=routes.yaml node --import tsx gateway/edge/main.ts
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, failWith, type Fail } from '../log/index.ts';
import { portFromEnv } from '../process/index.ts';
import { loadRouteTable, RouteTableError } from '../routes/index.ts';
import type { RouteTable } from '../routes/types.ts';
import { startEdge, type Edge } from './index.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const env = process.env;
const logger = createLogger('edge');

const fail: Fail = failWith(logger);

/** Every problem of a refused table, one per line, for people; the JSON line carries them as data too. */
function describeTableError(err: unknown): { message: string; problems?: unknown } {
  if (err instanceof RouteTableError) return { message: err.message, problems: err.problems };
  return { message: err instanceof Error ? err.message : String(err) };
}

const host = env.FRONT_HOST || '127.0.0.1';
const port = portFromEnv(env, 'FRONT_PORT', '8080', fail);
const routesFile = resolve(ROOT, env.ROUTES || 'routes.yaml');

let table: RouteTable;
try {
  table = loadRouteTable(routesFile, env);
} catch (err) {
  const { message, problems } = describeTableError(err);
  process.stderr.write(`the route table ${routesFile} is invalid, not starting:\n${message}\n`);
  fail('refused', `the route table ${routesFile} is invalid, not starting`, { routes: routesFile, problems, reason: message });
}

let edge: Edge;
try {
  edge = await startEdge({ table, logger, host, port });
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') fail('port_in_use', `port ${port} on ${host} is already in use; stop what holds it or start with FRONT_PORT=<another port>`);
  if (code === 'EACCES') fail('port_denied', `not allowed to listen on ${host}:${port}; use a port above 1023`);
  fail('listen_failed', `cannot listen on ${host}:${port}: ${(err as Error).message}`);
}
// The listening line is the process's contract with whoever started it: logged whatever LOG_LEVEL says.
logger.child({}, { level: 'info' }).info({ event: 'listening', url: edge.url, routes: routesFile }, `edge listening on ${edge.url}`);

process.on('SIGHUP', () => {
  try {
    edge.swapTable(loadRouteTable(routesFile, env));
    logger.info({ event: 'routes_reloaded', routes: routesFile }, 'route table reloaded');
  } catch (err) {
    const { message, problems } = describeTableError(err);
    logger.error({ event: 'routes_reload_refused', routes: routesFile, problems, reason: message }, 'route table reload refused; the last good table stays live');
  }
});

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ event: 'draining', signal }, `${signal}: draining`);
  void edge.close().then(() => {
    logger.info({ event: 'stopped' }, 'stopped');
    process.exit(0);
  });
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
