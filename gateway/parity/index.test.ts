import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProxy } from '../proxy/index.ts';
import { parseRouteTable } from '../routes/index.ts';
import { ConventionalHeaderCase } from '../server/header-case.ts';
import { createTsServer, defineService, type ServiceEnv } from '../server/index.ts';
import { createParityHarness, ParityError, type ParityCase } from './index.ts';

const logger = pino({ level: 'silent' });
const tableText = (legacyUrl: string, itemsMode: 'next' | 'legacy') => `version: 1
backends:
  legacy: { url: "${legacyUrl}" }
  ts: { url: "http://127.0.0.1:8081" }
routes:
  - { path: /, mode: legacy }
${itemsMode === 'next' ? '  - { path: /items, mode: next, handler: items, methods: [GET] }' : '  - { path: /items, mode: legacy }'}
`;

// The legacy app: a list of items, a drifting counter page, and a page only it has.
let counter = 0;
const send = (res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void => {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra }).end(body);
};
const legacyApp = createServer((req, res) => {
  if (req.url === '/items') return send(res, 200, 'application/json', '{"items":[1,2]}', { 'Cache-Control': 'no-store' });
  if (req.url === '/items/counter') return send(res, 200, 'text/plain', `seen ${++counter}`);
  if (req.url === '/items/gap') return send(res, 200, 'text/plain', 'old');
  send(res, 404, 'text/plain', 'no such page');
});

// Its TS replacement: the same list, a counter that drifts, and the gap already fixed.
const items = defineService({
  name: 'items',
  app: new Hono<ServiceEnv>()
    .get('/items', (c) => c.body('{"items":[1,2]}', 200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }))
    .get('/items/counter', (c) => c.body(`seen ${++counter + 1000}`, 200, { 'Content-Type': 'text/plain' }))
    .get('/items/gap', (c) => c.body('old', 200, { 'Content-Type': 'text/plain' }))
    .get('/items/wrong', (c) => c.body('{"items":[1,3]}', 200, { 'Content-Type': 'application/json' })),
});

const servers: Server[] = [];
const listen = (server: Server): Promise<string> =>
  new Promise((done) => {
    servers.push(server);
    server.listen(0, '127.0.0.1', () => done(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
const startTs = (legacyUrl: string, itemsMode: 'next' | 'legacy', answeredBy?: boolean): Promise<string> => {
  const server = createTsServer({
    table: parseRouteTable(tableText(legacyUrl, itemsMode), 'ts-routes.yaml', {}),
    services: [items],
    proxy: createProxy({ logger }),
    logger,
    answeredBy,
  });
  // Header names spelled as the real server spells them (gateway/server/main.ts).
  const listener = getRequestListener(server.app.fetch);
  return listen(createServer({ ServerResponse: ConventionalHeaderCase }, (req, res) => void listener(req, res)));
};

let legacyUrl: string;
let tsUrl: string;
let harnessTable: ReturnType<typeof parseRouteTable>;
beforeAll(async () => {
  legacyUrl = await listen(legacyApp);
  tsUrl = await startTs(legacyUrl, 'next', true);
  harnessTable = parseRouteTable(tableText(legacyUrl, 'next'), 'routes.yaml', {});
});
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
});

const problemsOf = async (testCase: ParityCase, ts = tsUrl): Promise<readonly string[]> =>
  (await createParityHarness({ routes: harnessTable, legacyUrl, tsUrl: ts }).check(testCase)).problems;

describe('the parity harness', () => {
  it("passes a case the TS server answers itself with legacy's bytes", async () => {
    const result = await createParityHarness({ routes: harnessTable, legacyUrl, tsUrl }).expectParity({ name: 'lists', path: '/items', status: 200 });
    expect(result.ts?.answeredBy).toMatch(/^ts; route="\/items"; revision=/);
  });

  it('fails a case whose route is legacy in the table, saying so, without sending it', async () => {
    expect(await problemsOf({ name: 'a legacy page', path: '/nothing', status: 404 })).toEqual([
      expect.stringMatching(/^the route of \/nothing is legacy in the table \(routes\.yaml line 6: \/ in mode legacy\).*compare legacy with legacy/),
    ]);
  });

  it('fails a case whose method the route has not moved', async () => {
    expect(await problemsOf({ name: 'a post', method: 'POST', path: '/items', status: 404 })).toEqual([
      expect.stringMatching(/does not move POST .*methods GET.*add POST to its methods/),
    ]);
  });

  it('fails a case the TS server passed on to legacy although the harness table moves it', async () => {
    const stale = await startTs(legacyUrl, 'legacy', true);
    expect(await problemsOf({ name: 'lists', path: '/items', status: 200 }, stale)).toEqual([
      expect.stringContaining('did not answer this case itself (X-Strangler-Answered-By: legacy; route='),
    ]);
  });

  it('fails every case when the TS server does not say who answered, naming the setting', async () => {
    const silent = await startTs(legacyUrl, 'next');
    const result = await createParityHarness({ routes: harnessTable, legacyUrl, tsUrl: silent }).check({ name: 'lists', path: '/items', status: 200 });
    expect(result.ts?.answeredBy).toBeNull();
    expect(result.problems).toEqual([expect.stringContaining('start it with STRANGLER_ANSWERED_BY=1')]);
  });

  it('reports each difference: status, header values and the first differing body byte', async () => {
    const problems = await problemsOf({ name: 'wrong', path: '/items/wrong', status: 404 });
    expect(problems).toEqual(
      expect.arrayContaining([
        'status: legacy 404, TS 200',
        'header content-type: legacy "text/plain", TS "application/json"',
        'header content-length: legacy "12", TS "15"',
        expect.stringMatching(/^body \(legacy 12 bytes, TS 15 bytes\): first difference at byte 0: legacy …"no such page"…, TS …"\{\\"items\\":\[1,3\]\}"…$/),
      ]),
    );
  });

  it("fails a case where legacy's status is not the one the case demands", async () => {
    expect(await problemsOf({ name: 'lists', path: '/items', status: 201 })).toEqual([expect.stringContaining('legacy answered 200, the case demands 201')]);
  });

  it('lets a normalizer hide an allowed difference and nothing else', async () => {
    const hideCount = (seen: { body: Buffer }) => ({ ...seen, body: Buffer.from(seen.body.toString().replace(/\d+/, 'N')) });
    const testCase: ParityCase = {
      name: 'counter',
      path: '/items/counter',
      status: 200,
      normalize: (seen) => ({ ...seen, ...hideCount(seen), headers: { ...seen.headers, 'content-length': null } }),
    };
    expect(await problemsOf(testCase)).toEqual([]);
    expect(await problemsOf({ ...testCase, normalize: undefined })).toEqual([expect.stringMatching(/^header content-length/), expect.stringMatching(/^body /)]);
  });

  it('expects a known gap to differ and fails it once it no longer does', async () => {
    expect(await problemsOf({ name: 'wrong', path: '/items/wrong', status: 404, gap: 'TS lists the wrong items' })).toEqual([]);
    expect(await problemsOf({ name: 'gap', path: '/items/gap', status: 200, gap: 'TS said something else' })).toEqual([
      expect.stringContaining('the known gap "TS said something else" no longer differs'),
    ]);
  });

  it('throws a ParityError naming the case and listing its problems', async () => {
    const err = await createParityHarness({ routes: harnessTable, legacyUrl, tsUrl })
      .expectParity({ name: 'a legacy page', path: '/nothing', status: 404 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParityError);
    expect((err as Error).message).toMatch(/^GET \/nothing \(a legacy page\):\n {2}- the route of \/nothing is legacy/);
  });
});

describe('the TS server without answeredBy', () => {
  it('adds no X-Strangler-Answered-By to its own answers or to those it passes on', async () => {
    const silent = await startTs(legacyUrl, 'next');
    const own = await fetch(`${silent}/items`);
    const passed = await fetch(`${silent}/nothing`);
    expect([own.status, passed.status]).toEqual([200, 404]);
    expect([own.headers.get('x-strangler-answered-by'), passed.headers.get('x-strangler-answered-by')]).toEqual([null, null]);
  });
});
