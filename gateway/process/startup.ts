/**
 * What every long-running gateway process (the TS server, the Node edge) does the same way at start and
 * on signals: load the route table or refuse to start, swap in a new table on SIGHUP (keeping the last
 * good one when the new one is bad), and say clearly why it cannot listen.
 *
 * @example
 * const table = loadTableOrFail(routesFile, env, fail);
 * reloadOnSighup({ routesFile, env, logger, swap: (next) => server.swapTable(next) });
 */
import type { Fail, Logger } from '../log/index.ts';
import { loadRouteTable, RouteTableError } from '../routes/index.ts';
import type { RouteTable } from '../routes/types.ts';

const problemsOf = (err: unknown): unknown => (err instanceof RouteTableError ? err.problems : undefined);
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The table in `routesFile`, or a fatal line listing every problem (message and data) and exit 1. */
export function loadTableOrFail(routesFile: string, env: NodeJS.ProcessEnv, fail: Fail): RouteTable {
  try {
    return loadRouteTable(routesFile, env);
  } catch (err) {
    return fail('refused', `the route table ${routesFile} is invalid, not starting:\n${messageOf(err)}`, { routes: routesFile, problems: problemsOf(err) });
  }
}

export interface ReloadOptions {
  readonly routesFile: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  /** Make the new table live; throw to refuse it (e.g. it names an unmounted handler). */
  readonly swap: (next: RouteTable) => void;
  /** Told of every reload: applied, or refused (the metrics count them). */
  readonly onReload?: (result: 'applied' | 'refused') => void;
}

/** On SIGHUP, load the table again and swap it in whole; a bad one is logged and the last good one stays. */
export function reloadOnSighup({ routesFile, env, logger, swap, onReload }: ReloadOptions): void {
  process.on('SIGHUP', () => {
    try {
      swap(loadRouteTable(routesFile, env));
      logger.info({ event: 'routes_reloaded', routes: routesFile }, 'route table reloaded');
      onReload?.('applied');
    } catch (err) {
      logger.error(
        { event: 'routes_reload_refused', routes: routesFile, problems: problemsOf(err), reason: messageOf(err) },
        'route table reload refused; the last good table stays live',
      );
      onReload?.('refused');
    }
  });
}

/** Turn a listen error into a fatal line that names the port and the variable to change. */
export function failOnListenError(err: unknown, where: { host: string; port: number; portVariable: string }, fail: Fail): never {
  const { host, port, portVariable } = where;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') fail('port_in_use', `port ${port} on ${host} is already in use; stop what holds it or start with ${portVariable}=<another port>`);
  if (code === 'EACCES') fail('port_denied', `not allowed to listen on ${host}:${port}; use a port above 1023`);
  return fail('listen_failed', `cannot listen on ${host}:${port}: ${messageOf(err)}`);
}
