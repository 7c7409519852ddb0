/**
 * What each process of a stack says about the route table it serves, for `strangler status` and for the
 * control plane's wait for agreement. The TS server answers on its internal listener; the Node edge on an
 * admin listener of its own ({@link startAdminListener}, loopback only); nginx on a status-only server
 * block of its generated config (gateway/nginx). None of them is reachable through a front door.
 *
 * @example
 * const admin = await startAdminListener({ host: '127.0.0.1', port: 0, token, status: () => ({ revision: edge.table().revision }) });
 * admin.url; // http://127.0.0.1:41234 (GET /_internal/admin/status with Authorization: Bearer <token>)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tokenMatcher } from '../internal/token.ts';
import type { WorkerRevision } from '../process/siblings.ts';

/** Where every process answers the table it serves: the TS server on its internal listener, the edge on its admin listener. */
export const ADMIN_STATUS_PATH = '/_internal/admin/status';

/** The TS server's answer: the table revision each worker serves and the handlers it can serve. */
export interface TsAdminStatus {
  /** The revision of the worker that answered. */
  readonly revision: string;
  readonly routes: string;
  /** Names of the mounted services with public routes: what a route's `handler` may name. */
  readonly handlers: readonly string[];
  /** Every worker (one entry, worker 0, when the server is a single process). */
  readonly workers: readonly WorkerRevision[];
}

/** The Node edge's answer, and what nginx's status server answers. */
export interface FrontDoorAdminStatus {
  readonly revision: string;
  /** The front-door routing hash (gateway/nginx/routing.ts) of the table it serves. */
  readonly routing: string;
}

export interface AdminListenerOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** When given, a request needs `Authorization: Bearer <token>` (compared in constant time). */
  readonly token?: string;
  readonly status: () => unknown;
}

export interface AdminListener {
  readonly url: string;
  close(): Promise<void>;
}

/** A loopback HTTP listener answering `GET /_internal/admin/status` with `status()` as JSON, and 404 to anything else. */
export async function startAdminListener({ host, port, token, status }: AdminListenerOptions): Promise<AdminListener> {
  const matches = token === undefined ? () => true : tokenMatcher(token);
  const server = createServer((req, res) => {
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(body)}\n`);
    };
    const presented = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!matches(presented)) return send(401, { error: { code: 'unauthorized', message: 'missing or wrong bearer token' } });
    if (req.method !== 'GET' || req.url !== ADMIN_STATUS_PATH) return send(404, { error: { code: 'not_found', message: `only GET ${ADMIN_STATUS_PATH} is here` } });
    return send(200, status());
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((done, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      done();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
