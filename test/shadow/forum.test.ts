/**
 * The forum in shadow mode, with the real legacy forum and the real TS server on one seeded database: the
 * thread page (`/t`) and a board's thread list are shadowed, legacy asked twice for every request (noise),
 * and still every user request counts exactly one view; the TS copies count none and match legacy.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEvidence, type EvidenceStore, type RouteEvidence } from '../../gateway/evidence/index.ts';
import { waitUntil } from '../helpers/processes.ts';
import { startPair, type Pair } from '../server/pair.ts';

const ROUTES = `version: 1
backends:
  legacy: { url: "http://127.0.0.1:\${LEGACY_PORT}" }
  ts: { url: "http://127.0.0.1:\${TS_PORT:-0}" }
routes:
  - { path: /, mode: legacy }
  - { path: /t, mode: shadow, handler: threads, methods: [GET], shadow: { noise_percent: 100 } }
  - { path: "/api/v1/boards/*/threads", exact: true, mode: shadow, handler: boards, methods: [GET], shadow: { noise_percent: 100 } }
`;
const THREAD = 1;

let pair: Pair;
let store: EvidenceStore;
beforeAll(async () => {
  pair = await startPair({
    tsEnv: (dir) => {
      writeFileSync(join(dir, 'routes.yaml'), ROUTES);
      return { ROUTES: join(dir, 'routes.yaml'), STRANGLER_STATE_DIR: join(dir, 'state'), FORUM_VIEWS_FLUSH_MS: '100' };
    },
  });
  store = openEvidence(join(pair.dir, 'state', 'state.db'));
}, 60_000);
afterAll(async () => {
  store?.close();
  await pair?.stop();
});

function storedViews(): number {
  const db = new Database(join(pair.dir, 'forum.db'), { readonly: true });
  try {
    return (db.prepare('SELECT view_count FROM threads WHERE id = ?').get(THREAD) as { view_count: number }).view_count;
  } finally {
    db.close();
  }
}

const waitFor = async (route: string, check: (e: RouteEvidence) => boolean, what: string): Promise<RouteEvidence> => {
  await waitUntil(() => check(store.window(route, 0)), `${what} on ${route}`, 60_000);
  return store.window(route, 0);
};

describe('the forum in shadow mode', { timeout: 120_000 }, () => {
  it('counts exactly one view per user request of a shadowed thread page, and the TS copies match legacy', async () => {
    const before = storedViews();
    const users = 3;
    for (let i = 0; i < users; i++) {
      const res = await fetch(`${pair.ts.url}/t/${THREAD}`);
      expect(res.status).toBe(200);
      // The user's page is legacy's, with the view just counted.
      expect(await res.text()).toContain(`${before + i + 1} views`);
      // The copy runs in the shadow process after the answer: the next user's view, counted before the
      // copy is judged, would change the count the copy and legacy's second answer show (noise, rightly).
      await waitFor('/t', (e) => e.comparisons.total === i + 1, `comparison ${i + 1}`);
    }
    // Every copy compared, and legacy asked a second time for each (noise_percent: 100).
    const evidence = await waitFor('/t', (e) => e.comparisons.total === users && e.noise.checks === users, 'three comparisons and noise checks');
    expect(evidence.comparisons).toMatchObject({ matches: users, mismatches: 0 });
    expect(evidence.shadow).toMatchObject({ sent: users, failed: 0 });
    // Neither the TS copies nor legacy's second answers counted a view: by the fourth comparison (a flush
    // of the evidence later) any view the TS side counted would have been sent to legacy (every 100 ms).
    const another = await fetch(`${pair.ts.url}/t/${THREAD}`);
    await another.text();
    await waitFor('/t', (e) => e.comparisons.total === users + 1, 'a fourth comparison');
    expect(storedViews()).toBe(before + users + 1);
  });

  it('gives the user legacy’s bytes for a board’s thread list and finds the TS handler equal', async () => {
    const direct = await fetch(`${pair.legacy.url}/api/v1/boards/help/threads?per_page=2`);
    const shadowed = await fetch(`${pair.ts.url}/api/v1/boards/help/threads?per_page=2`);
    expect(shadowed.status).toBe(direct.status);
    expect(shadowed.headers.get('content-type')).toBe(direct.headers.get('content-type'));
    expect(Buffer.from(await shadowed.arrayBuffer())).toEqual(Buffer.from(await direct.arrayBuffer()));
    const evidence = await waitFor('/api/v1/boards/*/threads', (e) => e.comparisons.total === 1, 'one comparison');
    expect(evidence.comparisons.matches).toBe(1);
    expect(evidence.noise.noisyPaths).toEqual([]);
  });
});
