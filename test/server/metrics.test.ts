/**
 * Prometheus metrics of the real TS server: served on the internal listener with the bearer token, never
 * through a front door (the edge, nginx when installed) nor the public listener, and with TS_WORKERS=2 a
 * scrape on either worker counts the requests of both.
 */
import { writeFileSync } from 'node:fs';
import { get, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revisionOf } from '../../gateway/routes/index.ts';
import { NGINX, startStack, type FrontDoorKind, type Stack } from '../helpers/stack.ts';
import { TEST_INTERNAL_TOKEN, waitUntil } from '../helpers/processes.ts';
import { startPair, type Pair } from './pair.ts';

type Line = Record<string, unknown>;

/** GET on a connection of its own, so the cluster's round robin can hand each one to another worker. */
const getOnNewConnection = (url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> =>
  new Promise((done, reject) => {
    get(url, { agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body }));
    }).on('error', reject);
  });

const bearer = { authorization: `Bearer ${TEST_INTERNAL_TOKEN}` };

/** One sample's value in exposition text (0 when the series does not exist yet). */
const sample = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
};

const linesOf = (stack: Stack): Line[] =>
  stack.ts.output.flatMap((line) => {
    try {
      return [JSON.parse(line) as Line];
    } catch {
      return [];
    }
  });

const MOVED = 'strangler_requests_total{route="/api/v1/boards",backend="ts",status="200"}';
const PASSED_ON = 'strangler_requests_total{route="/",backend="legacy",status="404"}';
const REQUESTS = 12;

const doors: { kind: FrontDoorKind; workers: number }[] = [{ kind: 'edge', workers: 2 }, ...(NGINX.ok ? [{ kind: 'nginx' as const, workers: 1 }] : [])];

describe.each(doors)('GET /metrics with the $kind front door and $workers TS worker(s)', { timeout: 120_000 }, ({ kind, workers }) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(kind, { TS_WORKERS: String(workers), LOG_LEVEL: 'info' });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });
  const scrape = async (): Promise<string> => {
    const res = await getOnNewConnection(`${stack.ts.internalUrl}/metrics`, bearer);
    expect(res.status).toBe(200);
    return res.body;
  };

  it('answers the Prometheus text on the internal listener with the bearer token, and 401 without it', async () => {
    const res = await getOnNewConnection(`${stack.ts.internalUrl}/metrics`, bearer);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toContain('# TYPE strangler_requests_total counter');
    expect(res.body).toContain('# TYPE strangler_request_duration_seconds histogram');
    expect((await getOnNewConnection(`${stack.ts.internalUrl}/metrics`)).status).toBe(401);
    expect((await getOnNewConnection(`${stack.ts.internalUrl}/metrics`, { authorization: 'Bearer wrong-token-wrong-token-wrong-token' })).status).toBe(401);
  });

  it('is never served through the front door or the public listener, token or not', async () => {
    for (const base of [stack.front.url, stack.ts.url]) {
      for (const path of ['/metrics', '/metrics/', '/METRICS', '/_internal/../metrics']) {
        const res = await getOnNewConnection(`${base}${path}`, bearer);
        expect(`${base}${path} ${res.status} ${res.body.includes('strangler_requests_total')}`).toBe(`${base}${path} ${res.status} false`);
      }
    }
  });

  it(`counts ${REQUESTS} requests as ${REQUESTS} on every scrape, whichever worker answers it`, async () => {
    const before = await scrape();
    const ids: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const id = `metrics-${kind}-${i}-${Date.now()}`;
      ids.push(id);
      // Moved: through the front door to TS. Passed on: straight to the TS server, which forwards to legacy.
      expect((await getOnNewConnection(`${stack.front.url}/api/v1/boards`)).status).toBe(200);
      expect((await getOnNewConnection(`${stack.ts.url}/no/such/page`, { 'x-request-id': id })).status).toBe(404);
    }
    const accessLine = (id: string) => linesOf(stack).find((line) => line.event === 'access' && line.request_id === id);
    await waitUntil(() => ids.every(accessLine), 'the access lines of the passed-on requests');
    if (workers > 1) expect(new Set(ids.map((id) => accessLine(id)!.pid)).size, 'workers that answered the requests').toBe(workers);

    const scraped: string[] = [];
    const answeredBy = () =>
      new Set(
        linesOf(stack)
          .filter((line) => line.event === 'access' && line.listener === 'internal' && line.path === '/metrics')
          .map((line) => line.pid),
      );
    // Scrape until every worker has answered at least one scrape (each on a new connection).
    for (let attempt = 0; attempt < 40 && (scraped.length < 3 || answeredBy().size < workers); attempt++) scraped.push(await scrape());
    expect(answeredBy().size, 'workers that answered a scrape').toBe(workers);
    for (const text of scraped) {
      expect(sample(text, MOVED) - sample(before, MOVED)).toBe(REQUESTS);
      expect(sample(text, PASSED_ON) - sample(before, PASSED_ON)).toBe(REQUESTS);
    }
  });
});

describe('a route-table reload', { timeout: 120_000 }, () => {
  let pair: Pair | undefined;
  afterAll(async () => {
    await pair?.stop();
  });

  it('is counted refused or applied, and the answered-by header follows the new revision', async () => {
    const table = (routes: string): string =>
      `version: 1\nbackends:\n  legacy: { url: "http://127.0.0.1:\${LEGACY_PORT}" }\n  ts: { url: "http://127.0.0.1:\${TS_PORT}" }\nroutes:\n  - { path: /, mode: legacy }\n${routes}`;
    const moved = table('  - { path: /api/v1/boards, exact: true, mode: next, handler: boards, methods: [GET] }\n');
    const back = table('');
    pair = await startPair({
      tsEnv: (dir) => {
        writeFileSync(join(dir, 'routes.yaml'), moved);
        return { ROUTES: join(dir, 'routes.yaml'), STRANGLER_ANSWERED_BY: '1' };
      },
    });
    const { ts } = pair;
    const routes = join(pair.dir, 'routes.yaml');
    const scrape = async (): Promise<string> => (await getOnNewConnection(`${ts.internalUrl}/metrics`, bearer)).body;
    const answeredBy = async (): Promise<unknown> => (await getOnNewConnection(`${ts.url}/api/v1/boards`)).headers['x-strangler-answered-by'];
    expect(await answeredBy()).toBe(`ts; route="/api/v1/boards"; revision=${revisionOf(0, moved)}`);

    writeFileSync(routes, 'version: 1\nroutes: [this is not a route table\n');
    ts.child.kill('SIGHUP');
    await waitUntil(() => ts.output.some((line) => line.includes('routes_reload_refused')), 'the refused reload');
    const refused = await scrape();
    expect([sample(refused, 'strangler_table_reloads_total{result="refused"}'), sample(refused, 'strangler_table_reloads_total{result="applied"}')]).toEqual([1, 0]);
    expect(await answeredBy()).toBe(`ts; route="/api/v1/boards"; revision=${revisionOf(0, moved)}`);

    writeFileSync(routes, back);
    ts.child.kill('SIGHUP');
    await waitUntil(() => ts.output.some((line) => line.includes('routes_reloaded')), 'the applied reload');
    expect(sample(await scrape(), 'strangler_table_reloads_total{result="applied"}')).toBe(1);
    expect(await answeredBy()).toBe(`legacy; route="/"; revision=${revisionOf(0, back)}`);
  });
});
