/**
 * What a migrated piece looks like to the TS server: a name the route table's `handler` refers to, and a
 * Hono app that answers full paths (`/api/v1/boards`, not `/`). The server knows nothing else about it.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Hono } from 'hono';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { ByteSink } from '../live/sink.ts';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { RouteTable } from '../routes/types.ts';

/** What a service's handlers find in `c.env`: the request id, never the raw Node objects. */
export interface ServiceBindings {
  readonly requestId: string;
  /** The method the client sent, when the request reached the service as another (HEAD runs as GET). */
  readonly clientMethod?: string;
  /**
   * Take the client's connection over for a long answer (a server-sent event stream): the head is written
   * at once and the bytes go straight to the connection, the lightest way to hold many idle streams. The
   * handler then returns {@link STREAM_TAKEN}. Absent where no connection stands behind the request
   * (`app.request` in unit tests): use gateway/live's `readableStreamSink` there.
   */
  readonly openStream?: (status: number, headers: Readonly<Record<string, string>>) => ByteSink;
}

/** What a handler returns once it has taken the connection over with `openStream`. */
export const STREAM_TAKEN: Response = RESPONSE_ALREADY_SENT;

/**
 * Take over an upgrade request (a WebSocket handshake) that the route table hands this service: the
 * raw request, its socket and the bytes after its head, as node:http's 'upgrade' event gives them.
 */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, bindings: ServiceBindings) => void;

export type ServiceEnv = { Bindings: ServiceBindings };

/** A service with public routes. */
export type PublicService = Service & { readonly app: Hono<ServiceEnv> };

export interface Service {
  readonly name: string;
  /** Public routes, answered when the route table hands a request to this service. */
  readonly app?: Hono<ServiceEnv>;
  /** Internal routes (`/_internal/v1/<name>/...`), served only on the internal listener. */
  readonly internal?: OpenAPIHono<ServiceEnv>;
  /** Upgrade requests on this service's routes (GET with `Upgrade:`); without it they go to legacy. */
  readonly upgrade?: UpgradeHandler;
  /**
   * The server is draining: end long-lived answers and connections now (live streams, WebSockets with
   * close 1001), so the listener can close and clients reconnect to another process.
   */
  readonly shutdown?: () => void;
}

const SERVICE_NAME = /^[a-z][a-z0-9-]*$/;

/**
 * Declare a service. The name is what routes.yaml puts in `handler:`; the internal routes, if any, live
 * under `/_internal/v1/<name>/`.
 *
 * @example
 * const app = new Hono<ServiceEnv>().get('/api/v1/boards', (c) => c.json({ boards: [] }));
 * export const boards = defineService({ name: 'boards', app });
 */
export function defineService<S extends Service>(service: S): Readonly<S> {
  if (!SERVICE_NAME.test(service.name)) {
    throw new TypeError(`service name ${JSON.stringify(service.name)} is invalid; use lowercase letters, digits and dashes, starting with a letter (e.g. "threads")`);
  }
  const prefix = `/_internal/v1/${service.name}`;
  const stray = service.internal?.routes.find((route) => route.path !== prefix && !route.path.startsWith(`${prefix}/`) && route.path !== '/*');
  if (stray) throw new TypeError(`service "${service.name}" declares the internal route ${stray.path}; internal routes of this service must live under ${prefix}/`);
  if (!service.app && !service.internal) throw new TypeError(`service "${service.name}" has neither public nor internal routes; give it an app, an internal app, or both`);
  return Object.freeze({ ...service });
}

/**
 * Handlers the table names that no mounted service answers, with the route lines that name them.
 * Empty when every route that involves TS can be served.
 *
 * @example
 * unknownHandlers(table, ['boards']); // [{ handler: 'threads', lines: [7] }]
 */
export function unknownHandlers(table: RouteTable, mounted: readonly string[]): { handler: string; lines: number[] }[] {
  const known = new Set(mounted);
  const missing = new Map<string, number[]>();
  for (const route of table.routes) {
    if (route.mode === 'legacy' || route.handler === null || known.has(route.handler)) continue;
    missing.set(route.handler, [...(missing.get(route.handler) ?? []), route.line]);
  }
  return [...missing].map(([handler, lines]) => ({ handler, lines }));
}

/** Throw a message that names every unknown handler and every mounted service, or do nothing. */
export function assertHandlersMounted(table: RouteTable, mounted: readonly string[]): void {
  const missing = unknownHandlers(table, mounted);
  if (missing.length === 0) return;
  const list = missing.map(({ handler, lines }) => `"${handler}" (${table.source} line ${lines.join(', ')})`).join(', ');
  const available = mounted.length > 0 ? mounted.map((name) => `"${name}"`).join(', ') : 'none';
  throw new UnmountedHandlerError(
    `the route table names handlers that are not mounted: ${list}; mounted services: ${available}. ` +
      'Fix the handler names in the route table, or compose those services in the module STRANGLER_SERVICES names.',
  );
}

export class UnmountedHandlerError extends Error {
  override readonly name = 'UnmountedHandlerError';
}
