/**
 * The TS server: mounts services, matches each request against the live route table, answers moved
 * methods with the named service and forwards the rest to legacy. Nothing here knows about the app it
 * serves: the app's own module, named by STRANGLER_SERVICES, composes its services and hands them over
 * (gateway/server/services-module.ts loads it).
 *
 * @example
 * const server = createTsServer({ table, services, proxy, logger });
 * serve({ fetch: server.app.fetch, port: 0 });
 * server.swapTable(loadRouteTable('routes.yaml', process.env)); // on SIGHUP
 */
import type { Context } from 'hono';
import type { Logger } from '../log/index.ts';
import type { Siblings } from '../process/siblings.ts';
import type { ErrorRenderer } from './app.ts';
import type { Service, ServiceEnv } from './service.ts';

export { createTsServer, ANSWERED_BY_HEADER, type ErrorRenderer, type LegacyProxy, type TsServer, type TsServerOptions } from './app.ts';
export {
  defineService,
  assertHandlersMounted,
  unknownHandlers,
  UnmountedHandlerError,
  STREAM_TAKEN,
  type PublicService,
  type Service,
  type ServiceEnv,
  type ServiceBindings,
  type UpgradeHandler,
} from './service.ts';
export { planFor, planRequest, isMethodMoved, type Plan, type Side } from './dispatch.ts';
export { requestIdFrom, mintRequestId } from '../request-id/index.ts';
export type { Siblings } from '../process/siblings.ts';

/** What an app's composition root (the module STRANGLER_SERVICES names) hands the server. */
export interface ServiceSet {
  readonly services: readonly Service[];
  readonly notFound?: (c: Context<ServiceEnv>) => Response | Promise<Response>;
  readonly errorResponse?: ErrorRenderer;
  /**
   * The name of the app's session cookie, when the configuration names none (STRANGLER_SESSION_COOKIE):
   * a canary route keeps each user on one side by its value (gateway/server/canary-key.ts).
   */
  readonly sessionCookie?: string;
  /**
   * Release what the services hold (database handles) at shutdown, once the listeners have stopped;
   * a promise for work that must finish first (counts written behind), which the server awaits.
   */
  close(): void | Promise<void>;
}

/** What the server knows that services may need: where legacy is, the internal token to call it with, and its sibling workers. */
export interface ServiceContext {
  /** Origin of the legacy backend from the route table, e.g. `http://127.0.0.1:8090`. */
  readonly legacyUrl: string;
  /** The shared secret of internal endpoints, on both sides (already checked: at least 32 bytes). */
  readonly internalToken: string;
  /**
   * The same service in the server's other worker processes (TS_WORKERS > 1), for what every process
   * must hear at once, e.g. a cache entry gone stale; does nothing when the server is one process.
   */
  readonly siblings?: Siblings;
  /** The route table's proxy_timeout_s in ms: a front door cuts a connection silent for this long (live feeds heartbeat within it). */
  readonly proxyTimeoutMs?: number;
  /** The app's session cookie (null: the services module's own choice) and legacy's resolve path (docs/identity.md). */
  readonly identity?: { readonly cookieName: string | null; readonly resolvePath: string };
}

/** What the app's services module exports as `composeServices` (or as its default export). */
export type ComposeServices = (env: NodeJS.ProcessEnv, logger: Logger, context: ServiceContext) => ServiceSet;
