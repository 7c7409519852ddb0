/**
 * The README's first parity file for a new app (`items.parity.ts`, shown verbatim in README.md), run
 * against a real stdlib http.server app (`first-app/items_app.py`) and the TS server with the app's TS
 * `items` service, saying who answered. The file's cases register here when it is imported.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createProxy } from '../../gateway/proxy/index.ts';
import { loadRouteTable } from '../../gateway/routes/index.ts';
import { ConventionalHeaderCase } from '../../gateway/server/header-case.ts';
import { createTsServer, defineService, type ServiceEnv } from '../../gateway/server/index.ts';
import { PYTHON, ROOT, spawnServer, type RunningProcess } from '../helpers/processes.ts';

const HERE = join(ROOT, 'test/parity');
const ITEMS = new Map([
  [1, 'apple'],
  [2, 'pear'],
]);

// The app's TS replacement of GET /api/items, byte for byte.
const json = (status: 200 | 404, value: unknown): Response => new Response(JSON.stringify(value), { status, headers: { 'Content-Type': 'application/json' } });
const items = defineService({
  name: 'items',
  app: new Hono<ServiceEnv>()
    .get('/api/items', () => json(200, { items: [...ITEMS].map(([id, name]) => ({ id, name })) }))
    .get('/api/items/:id{[0-9]+}', (c) => {
      const id = Number(c.req.param('id'));
      return ITEMS.has(id) ? json(200, { item: { id, name: ITEMS.get(id) } }) : json(404, { error: 'no such item' });
    })
    .get('/api/items/*', () => json(404, { error: 'no such item' })),
});

const saved = { ROUTES: process.env.ROUTES, LEGACY_URL: process.env.LEGACY_URL, TS_URL: process.env.TS_URL };
// Declared before afterAll and assigned after it, so a start that fails half-way still stops what started.
// eslint-disable-next-line prefer-const -- assigned once, below the hook that reads it
let app: RunningProcess | undefined;
// eslint-disable-next-line prefer-const -- as above
let ts: Server | undefined;
afterAll(async () => {
  for (const [name, value] of Object.entries(saved))
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  if (ts) await new Promise((done) => ts!.close(done));
  await app?.stop();
});

app = await spawnServer({ name: 'items-app', command: PYTHON, args: ['test/parity/first-app/items_app.py'] });
const routes = join(HERE, 'first-app/routes.yaml');
const logger = pino({ level: 'silent' });
const server = createTsServer({ table: loadRouteTable(routes, { LEGACY_PORT: String(app.port) }), services: [items], proxy: createProxy({ logger }), logger, answeredBy: true });
const listener = getRequestListener(server.app.fetch);
ts = createServer({ ServerResponse: ConventionalHeaderCase }, (req, res) => void listener(req, res));
await new Promise<void>((done) => ts!.listen(0, '127.0.0.1', done));
Object.assign(process.env, { ROUTES: routes, LEGACY_URL: app.url, TS_URL: `http://127.0.0.1:${(ts.address() as AddressInfo).port}` });
await import('./items.parity.ts');

describe("README's first parity file", () => {
  it('is shown in README.md verbatim', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('```ts\n' + readFileSync(join(HERE, 'items.parity.ts'), 'utf8') + '```');
  });
});
