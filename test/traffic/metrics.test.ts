/**
 * The traffic modes' metrics with two TS workers, scraped from the internal listener of a real
 * `strangler up`: what each worker counts as it happens (comparisons, shadow copies) adds up to what the
 * evidence store recorded, and what every worker reads from the state file (demotions, front-door
 * fallbacks) is counted once, not once per worker.
 */
import { copyFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTOMATIC, openAuditLog } from '../../gateway/control/audit.ts';
import { openEvidence } from '../../gateway/evidence/index.ts';
import { freePort, ROOT, tempDir, TEST_INTERNAL_TOKEN } from '../helpers/processes.ts';
import { runUp, type Up } from '../helpers/up.ts';

const ROUTE = '/api/v1/threads';

/** The value of one sample line of the exposition text (0 when absent). */
const sample = (text: string, name: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
};

/** A GET on a connection of its own, so that the cluster hands each to the next worker. */
const getFresh = (url: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });

describe('metrics of the traffic modes with two TS workers', { timeout: 300_000 }, () => {
  const { dir, cleanup } = tempDir('strangler-metrics-');
  const stateFile = join(dir, 'state', 'state.db');
  let up: Up | undefined;
  let ts: string;
  let internal: string;

  beforeAll(async () => {
    const routes = join(dir, 'routes.yaml');
    copyFileSync(join(ROOT, 'test/traffic/fixtures/routes.yaml'), routes);
    up = runUp({
      STRANGLER_STACK: join(ROOT, 'stack.yaml'),
      ROUTES: routes,
      STRANGLER_SERVICES: join(ROOT, 'test/traffic/fixtures/services.ts'),
      STRANGLER_STATE_DIR: join(dir, 'state'),
      STRANGLER_INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
      FORUM_DB: join(dir, 'forum.db'),
      FRONT_PORT: String(await freePort()),
      TS_PORT: String(await freePort()),
      LEGACY_PORT: '0',
      TS_WORKERS: '2',
      STRANGLER_FRONT_DOOR: 'edge',
    });
    const [, tsUrl, internalUrl] = await up.waitFor(/TS server\s+(http:\/\/\S+)\s+\(pid \d+\); internal endpoints on (http:\/\/\S+),/, 180_000);
    [ts, internal] = [tsUrl!, internalUrl!];
  }, 240_000);
  afterAll(async () => {
    await up?.stop();
    cleanup();
  });

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${internal}/metrics`, { headers: { authorization: `Bearer ${TEST_INTERNAL_TOKEN}` } });
    expect(res.status).toBe(200);
    return res.text();
  };

  it('sums the comparisons and shadow copies each worker counted to what the evidence store holds', async () => {
    const copies = 24;
    for (let i = 0; i < copies; i++) expect(await getFresh(`${ts}${ROUTE}/${(i % 3) + 1}`)).toBe(200);
    const store = openEvidence(stateFile);
    try {
      const deadline = Date.now() + 120_000;
      let text = '';
      let recorded = 0;
      let counted = -1;
      while (Date.now() < deadline) {
        const { comparisons, shadow } = store.window(ROUTE, 0);
        recorded = comparisons.total;
        text = await scrape();
        counted = ['match', 'mismatch', 'noise'].reduce((sum, outcome) => sum + sample(text, `strangler_comparisons_total{route="${ROUTE}",outcome="${outcome}"}`), 0);
        // Every copy accounted for (compared, or dropped when a busy machine left the shadow process behind), and counted as recorded.
        if (recorded + shadow.droppedConcurrency + shadow.failed === copies && counted === recorded) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(recorded).toBeGreaterThan(0);
      expect(counted).toBe(recorded);
      expect(sample(text, `strangler_comparisons_total{route="${ROUTE}",outcome="mismatch"}`)).toBe(recorded);
      expect(sample(text, `strangler_shadow_copies_total{route="${ROUTE}",event="sent"}`)).toBe(store.window(ROUTE, 0).shadow.sent);
      expect(sample(text, `strangler_shadow_copies_total{route="${ROUTE}",event="dropped-concurrency"}`)).toBe(store.window(ROUTE, 0).shadow.droppedConcurrency);
    } finally {
      store.close();
    }
  });

  it('counts a demotion and the front doors’ fallbacks read from the state file once, whichever worker answers the scrape', async () => {
    const audit = openAuditLog(stateFile);
    audit.record({
      who: AUTOMATIC,
      why: 'TS errors',
      command: 'demote /b legacy',
      route: '/b',
      diff: '',
      revisionBefore: '1-a',
      revisionAfter: '2-b',
      outcome: 'applied',
      detail: '',
    });
    audit.close();
    const store = openEvidence(stateFile);
    const recorder = store.recorder();
    for (let i = 0; i < 3; i++) recorder.fallback('/b', 'edge', 'ts-unreachable');
    recorder.flush();
    store.close();
    for (let i = 0; i < 4; i++) {
      const text = await scrape();
      expect(sample(text, 'strangler_demotions_total{route="/b",to="legacy"}')).toBe(1);
      expect(sample(text, 'strangler_front_door_fallbacks_total{route="/b",door="edge"}')).toBe(3);
    }
  });
});
