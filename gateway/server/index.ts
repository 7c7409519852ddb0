/**
 * The TS server: mounts services, matches each request against the live route table, answers moved
 * methods with the named service and forwards the rest to legacy. Nothing here knows about the app it
 * serves; `services/index.ts` composes the app's services and hands them over.
 *
 * @example
 * const server = createTsServer({ table, services, proxy, logger });
 * serve({ fetch: server.app.fetch, port: 0 });
 * server.swapTable(loadRouteTable('routes.yaml', process.env)); // on SIGHUP
 */
import type { Context } from 'hono';
import type { Logger } from '../log/index.ts';
import type { ErrorRenderer } from './app.ts';
import type { Service, ServiceEnv } from './service.ts';

export { createTsServer, type ErrorRenderer, type LegacyProxy, type TsServer, type TsServerOptions } from './app.ts';
export { defineService, assertHandlersMounted, unknownHandlers, UnmountedHandlerError, type PublicService, type Service, type ServiceEnv, type ServiceBindings } from './service.ts';
export { serviceFor } from './dispatch.ts';
export { requestIdFrom, mintRequestId } from '../request-id/index.ts';

/** What an app's composition point (`services/index.ts`) hands the server. */
export interface ServiceSet {
  readonly services: readonly Service[];
  readonly notFound?: (c: Context<ServiceEnv>) => Response | Promise<Response>;
  readonly errorResponse?: ErrorRenderer;
  /** Release what the services hold (database handles), at shutdown. */
  close(): void;
}

/** What the server knows that services may need: where legacy is, and the internal token to call it with. */
export interface ServiceContext {
  /** Origin of the legacy backend from the route table, e.g. `http://127.0.0.1:8090`. */
  readonly legacyUrl: string;
  /** The shared secret of internal endpoints, on both sides (already checked: at least 32 bytes). */
  readonly internalToken: string;
}

/** The signature `services/index.ts` exports as `composeServices`. */
export type ComposeServices = (env: NodeJS.ProcessEnv, logger: Logger, context: ServiceContext) => ServiceSet;
