/**
 * One login across both sides for an app nobody here wrote: a real Flask process (test/identity/flask_app.py)
 * mounts legacy-python/strangler_identity.py; the TS server, with one route moved (`GET /whoami`) and the
 * gateway's identity resolver configured with Flask's cookie name, answers for a session started on
 * Flask, and stops at once when Flask logs the session out.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityResolver, createIdentityService } from '../../gateway/identity/index.ts';
import { createInternalApp, createInternalCaller } from '../../gateway/internal/index.ts';
import { createProxy } from '../../gateway/proxy/index.ts';
import { parseRouteTable } from '../../gateway/routes/index.ts';
import { createTsServer, defineService, type ServiceEnv } from '../../gateway/server/index.ts';
import { internalEnv, spawnServer, TEST_INTERNAL_TOKEN, type RunningProcess } from '../helpers/processes.ts';

const SYSTEM_PYTHON = '/usr/bin/python3';
const logger = pino({ level: 'silent' });
const listen = (fetch: (req: Request) => Response | Promise<Response>, port: number): Promise<Server> =>
  new Promise((done) => {
    const server = serve({ fetch, port, hostname: '127.0.0.1' }, () => done(server as Server)) as Server;
  });
const urlOf = (server: Server): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

let flask: RunningProcess | undefined;
let publicServer: Server | undefined;
let internalServer: Server | undefined;
let ts: string;

beforeAll(async () => {
  const env = await internalEnv();
  flask = await spawnServer({ name: 'flask', command: SYSTEM_PYTHON, args: ['test/identity/flask_app.py'], env });
  const identity = createIdentityResolver({ legacy: createInternalCaller({ baseUrl: flask.url, token: TEST_INTERNAL_TOKEN }), cookieName: 'sid' });
  const whoami = defineService({
    name: 'whoami',
    app: new Hono<ServiceEnv>().get('/whoami', async (c) => {
      const user = await identity.identify(c.req.header('cookie'), c.env?.requestId);
      return user ? c.json({ user, answered_by: 'ts' }) : c.json({ error: 'not signed in', answered_by: 'ts' }, 401);
    }),
  });
  const services = [whoami, createIdentityService(identity)];
  const table = parseRouteTable(
    `version: 1
backends:
  legacy: { url: "${flask.url}" }
  ts: { url: "http://127.0.0.1:8081" }
routes:
  - { path: /, mode: legacy }
  - { path: /whoami, exact: true, mode: next, handler: whoami, methods: [GET] }
`,
    'flask-routes.yaml',
    {},
  );
  const server = createTsServer({ table, services, proxy: createProxy({ logger }), logger });
  internalServer = await listen(createInternalApp({ services, token: TEST_INTERNAL_TOKEN, logger }).fetch, Number(env.INTERNAL_PORT));
  publicServer = await listen(server.app.fetch, 0);
  ts = urlOf(publicServer);
});

afterAll(async () => {
  for (const server of [publicServer, internalServer]) if (server) await new Promise((done) => server.close(done));
  await flask?.stop();
});

const login = async (username: string): Promise<string> => {
  const res = await fetch(`${ts}/login`, { method: 'POST', body: new URLSearchParams({ username }) });
  expect(res.status).toBe(200);
  const cookie = /^sid=([^;]+)/.exec(res.headers.get('set-cookie') ?? '');
  if (!cookie) throw new Error(`Flask set no sid cookie: ${res.headers.get('set-cookie')}`);
  return `sid=${cookie[1]}`;
};

describe('one login across a Flask app and the TS server', () => {
  it('answers on the TS side for a session started on Flask through the gateway', async () => {
    const cookie = await login('alice');
    const res = await fetch(`${ts}/whoami`, { headers: { cookie } });
    expect(await res.json()).toEqual({ user: { user_id: expect.any(Number), username: 'alice' }, answered_by: 'ts' });
  });

  it('answers 401 on the TS side for no cookie and an unknown one', async () => {
    expect((await fetch(`${ts}/whoami`)).status).toBe(401);
    expect((await fetch(`${ts}/whoami`, { headers: { cookie: 'sid=forged' } })).status).toBe(401);
  });

  it('sees a logout on the Flask side at once, although it had cached the session', async () => {
    const cookie = await login('bob');
    expect((await fetch(`${ts}/whoami`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${ts}/whoami`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${ts}/logout`, { method: 'POST', headers: { cookie } })).status).toBe(200);
    // No waiting: the resolver caches for 5 s, so only the relayed logout can make this 401.
    const after = await fetch(`${ts}/whoami`, { headers: { cookie } });
    expect(after.status).toBe(401);
    expect((await fetch(`${flask!.url}/whoami`, { headers: { cookie } })).status).toBe(401);
  });

  it("is refused by Flask's resolve endpoint without the token", async () => {
    const res = await fetch(`${flask!.url}/_internal/legacy/sessions/resolve`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' }, body: '{"token":"x"}' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: 'missing or wrong bearer token' } });
  });
});
