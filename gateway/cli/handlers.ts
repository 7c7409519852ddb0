/**
 * Which handlers a table may name: those the TS server can serve. With a running stack, the running TS
 * server says (it is what will serve the table, and the code on disk may be newer than the code running);
 * without one, the module STRANGLER_SERVICES names is composed here, its services' names listed and the
 * services closed again at once, no listener started.
 *
 * @example
 * const known = await servableHandlers(config, env); // { handlers: ['boards', 'threads'], from: 'services/index.ts' }
 */
import type { GatewayConfig } from '../config/index.ts';
import { createLogger } from '../log/index.ts';
import { noSiblings } from '../process/siblings.ts';
import { loadComposeServices } from '../server/services-module.ts';
import type { RouteTable } from '../routes/types.ts';
import { unknownHandlers } from '../server/service.ts';

// Only to compose the module: nothing is called with it, and it is never written anywhere.
const PLACEHOLDER_TOKEN = '0'.repeat(64);

export async function servableHandlers(config: GatewayConfig, env: NodeJS.ProcessEnv, table: RouteTable): Promise<{ handlers: string[]; from: string }> {
  if (config.servicesModule === null) return { handlers: [], from: 'no services module (STRANGLER_SERVICES is not set)' };
  const compose = await loadComposeServices(config.servicesModule);
  const set = compose(env, createLogger('strangler', 'silent'), {
    legacyUrl: table.backends.legacy.url,
    internalToken: PLACEHOLDER_TOKEN,
    siblings: noSiblings,
    identity: config.identity,
  });
  try {
    return { handlers: set.services.filter((service) => service.app).map((service) => service.name), from: config.servicesModule };
  } finally {
    await set.close();
  }
}

/** One line per handler the table names that `handlers` does not hold, with the fix. */
export function handlerProblems(table: RouteTable, handlers: readonly string[], from: string): string[] {
  return unknownHandlers(table, handlers).map(
    ({ handler, lines }) =>
      `${table.source} line ${lines.join(', ')}: handler '${handler}' is not a service the TS server can serve (${from} has: ${handlers.join(', ') || 'none'}); fix the name, or write the service and compose it in the module STRANGLER_SERVICES names`,
  );
}
