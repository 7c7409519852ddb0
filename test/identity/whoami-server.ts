/**
 * A TS server process for the Flask app of flask.test.ts: one moved route, `GET /whoami`, answered from
 * the gateway's identity resolver, and the logout endpoint on the internal listener. What the app's own
 * composition would be; configuration comes from the environment here, at the edge of the program:
 * LEGACY_URL, SESSION_COOKIE, INTERNAL_PORT, STRANGLER_INTERNAL_TOKEN.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { pino } from 'pino';
import { createIdentityResolver, createIdentityService } from '../../gateway/identity/index.ts';
import { createInternalApp, createInternalCaller } from '../../gateway/internal/index.ts';
import { createProxy } from '../../gateway/proxy/index.ts';
import { parseRouteTable } from '../../gateway/routes/index.ts';
import { createTsServer, defineService, type ServiceEnv } from '../../gateway/server/index.ts';

const { LEGACY_URL: legacyUrl = '', SESSION_COOKIE: cookieName = '', INTERNAL_PORT: internalPort = '0', STRANGLER_INTERNAL_TOKEN: token = '' } = process.env;
const logger = pino({ level: 'warn' });

const identity = createIdentityResolver({ legacy: createInternalCaller({ baseUrl: legacyUrl, token }), cookieName });
const whoami = defineService({
  name: 'whoami',
  app: new Hono<ServiceEnv>().get('/whoami', async (c) => {
    const user = await identity.identify(c.req.header('cookie'), c.env?.requestId);
    return user ? c.json({ user }) : c.json({ error: 'not signed in' }, 401);
  }),
});
const services = [whoami, createIdentityService(identity)];
const table = parseRouteTable(
  `version: 1
backends:
  legacy: { url: "${legacyUrl}" }
  ts: { url: "http://127.0.0.1:8081" }
routes:
  - { path: /, mode: legacy }
  - { path: /whoami, exact: true, mode: next, handler: whoami, methods: [GET] }
`,
  'whoami-routes.yaml',
  {},
);
const server = createTsServer({ table, services, proxy: createProxy({ logger }), logger, answeredBy: true });

const listening = (fetch: (req: Request) => Response | Promise<Response>, port: number): Promise<string> =>
  new Promise((done) => {
    serve({ fetch, port, hostname: '127.0.0.1' }, (info: AddressInfo) => done(`http://127.0.0.1:${info.port}`));
  });
const [url, internalUrl] = await Promise.all([listening(server.app.fetch, 0), listening(createInternalApp({ services, token, logger }).fetch, Number(internalPort))]);
console.log(JSON.stringify({ event: 'listening', url, internal_url: internalUrl }));
