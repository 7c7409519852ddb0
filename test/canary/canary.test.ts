/**
 * The forum's board page `/b` in canary at 50% (the repository's routes.yaml), through `strangler up` with
 * two TS workers, once behind the Node edge and once behind nginx (when installed), all real processes:
 * - each session gets one side, the same on every connection (so on either worker), the side its canary
 *   bucket names, and about half the sessions get TS; a guest without the cookie sticks by the address
 *   the front door saw;
 * - the TS server killed (SIGKILL) under a keep-alive load on a canary route and on a `next` route:
 *   zero failed requests (every answer counted, socket errors included), legacy answers while TS is
 *   down, TS again once `up` has restarted it, and the fallbacks are in the evidence store. The canary
 *   route under load is the home page (made canary in this test's copy of the table), not `/b`: legacy's
 *   board page names each thread's author, and the users table has moved to the TS side, so while TS
 *   is down legacy itself answers `/b/...` with its 503 page (the app's dependency, not the gateway's:
 *   a fallback can only be as good as legacy's own answer);
 * - after that restart every session is still on its side;
 * - raising the percentage keeps every session already on TS there.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { answeredByParams, answeredBySide } from '../../gateway/access/index.ts';
import { openEvidence } from '../../gateway/evidence/index.ts';
import { canaryBucket } from '../../gateway/server/plan.ts';
import { ROOT, tempDir, waitUntil } from '../helpers/processes.ts';
import { NGINX } from '../helpers/stack.ts';
import { runUp, stackEnv, type Up } from '../helpers/up.ts';
import { steadyLoad, strangler } from '../control/load.ts';

const ROUTE = '/b';
const PAGE = '/b/general';
const SESSIONS = 40;
const VISITS = 4;
const CLIENTS = 4;
// The forum's session cookie (services/forum-common/cookies.ts): the canary key of a signed-in user.
const COOKIE = 'forum_session';

const doors: ('edge' | 'nginx')[] = ['edge', ...(NGINX.ok ? (['nginx'] as const) : [])];

/**
 * One GET on a fresh connection, with the session cookie or (`address`) without one, from that loopback
 * address: the side that answered, from X-Strangler-Answered-By.
 */
function visit(front: string, who: { session: string } | { address: string }): Promise<{ side: string | null; canary: boolean; status: number | null }> {
  const from = 'session' in who ? { headers: { cookie: `${COOKIE}=${who.session}` } } : { localAddress: who.address };
  return new Promise((resolve) => {
    const req = request(`${front}${PAGE}`, { agent: false, ...from }, (res) => {
      res.resume();
      res.on('end', () => {
        const value = res.headers['x-strangler-answered-by']?.toString();
        resolve({ side: answeredBySide(value), canary: 'canary' in answeredByParams(value), status: res.statusCode ?? null });
      });
    });
    req.on('error', () => resolve({ side: null, canary: false, status: null }));
    req.end();
  });
}

/** The side each session (or, with `by: 'address'`, each loopback address) got on `VISITS` fresh connections: 'ts', 'legacy' or 'mixed'. */
async function sidesOf(front: string, sessions: readonly string[], by: 'session' | 'address' = 'session'): Promise<Map<string, string>> {
  const sides = new Map<string, string>();
  for (const session of sessions) {
    const seen = new Set<string>();
    for (let i = 0; i < VISITS; i++) {
      const answer = await visit(front, by === 'session' ? { session } : { address: session });
      expect(answer.status).toBe(200);
      expect(answer.canary).toBe(true);
      seen.add(answer.side ?? 'none');
    }
    sides.set(session, seen.size === 1 ? [...seen][0]! : 'mixed');
  }
  return sides;
}

const expectedSide = (session: string, percent: number): string => (canaryBucket(ROUTE, `session:${session}`) < percent * 100 ? 'ts' : 'legacy');

describe.each(doors)('a canary route through the %s front door with two TS workers', { timeout: 600_000 }, (door) => {
  const { dir, cleanup } = tempDir(`strangler-canary-${door}-`);
  const routes = join(dir, 'routes.yaml');
  // stackEnv's state directory: the evidence store is its state.db.
  const stateDir = join(dir, 'state');
  const sessions = Array.from({ length: SESSIONS }, () => randomBytes(16).toString('hex'));
  let up: Up | undefined;
  let front = '';
  let env: Record<string, string> = {};
  afterAll(async () => {
    await up?.stop();
    cleanup();
  });

  it('keeps each session on the side its bucket names on every connection, about half of them on TS', async () => {
    copyFileSync(join(ROOT, 'routes.yaml'), routes);
    const table = readFileSync(routes, 'utf8');
    expect(table).toMatch(/- path: \/b\n\s+mode: canary\n\s+percent: 50\n/);
    // The home page in canary too, for the crash under load (see the top of this file).
    // Both crash-test routes never demote (a share of TS failures above 100% cannot happen): the TS
    // server is to be back on them once it restarts. Demotion has its own suite (test/traffic).
    const noDemotion = '$2gate: { demote_error_percent: 100 }\n';
    writeFileSync(
      routes,
      table
        .replace(/(- path: \/\n(\s+)exact: true\n\s+)mode: next\n/, `$1mode: canary\n$2percent: 50\n${noDemotion}`)
        .replace(/(- path: \/api\/v1\/boards\n(\s+)exact: true\n\s+mode: next\n)/, `$1${noDemotion}`),
    );
    expect(readFileSync(routes, 'utf8')).toMatch(/- path: \/\n\s+exact: true\n\s+mode: canary\n\s+percent: 50\n\s+gate: \{ demote_error_percent: 100 \}\n/);
    expect(readFileSync(routes, 'utf8')).toMatch(/- path: \/api\/v1\/boards\n\s+exact: true\n\s+mode: next\n\s+gate: \{ demote_error_percent: 100 \}\n/);
    env = { ...(await stackEnv(dir, door, 2)), ROUTES: routes };
    up = runUp(env);
    [, front] = (await up.waitFor(/front door\s+(http:\/\/\S+)/, 120_000)) as [string, string];
    const sides = await sidesOf(front, sessions);
    expect([...sides.values()]).not.toContain('mixed');
    for (const session of sessions) expect(sides.get(session), session).toBe(expectedSide(session, 50));
    const onTs = [...sides.values()].filter((side) => side === 'ts').length;
    // 40 sessions at 50%: outside 8..32 happens with a chance below one in 10,000.
    expect(onTs).toBeGreaterThanOrEqual(8);
    expect(onTs).toBeLessThanOrEqual(32);
  });

  it('keeps a guest without a session cookie on the side of the address the front door saw', async () => {
    // Loopback is all of 127.0.0.0/8: each address is another client to the front door (X-Real-IP).
    const addresses = Array.from({ length: 16 }, (_, i) => `127.0.0.${10 + i}`);
    const sides = await sidesOf(front, addresses, 'address');
    for (const address of addresses) expect(sides.get(address), address).toBe(canaryBucket(ROUTE, `client:${address}`) < 5000 ? 'ts' : 'legacy');
    expect(new Set(sides.values())).toEqual(new Set(['ts', 'legacy']));
  });

  it('answers every request while the TS server is killed under load: legacy while it is down, TS once it is back, fallbacks counted', async () => {
    const tsSession = sessions.find((session) => canaryBucket('/', `session:${session}`) < 5000)!;
    const startedAt = Date.now();
    const canary = steadyLoad(front, '/', CLIENTS, { cookie: `${COOKIE}=${tsSession}` });
    const next = steadyLoad(front, '/api/v1/boards', CLIENTS);
    try {
      await waitUntil(() => canary.sides.includes('ts') && next.sides.includes('ts'), 'TS answers on both routes', 60_000);
      const [, pid] = up!.output.join('\n').match(/TS server\s+\S+\s+\(pid (\d+)\)/)!;
      const fromCanary = canary.sides.length;
      const fromNext = next.sides.length;
      // The whole TS server at once, workers and all (it leads its own process group), as a crash would.
      process.kill(-Number(pid), 'SIGKILL');
      await waitUntil(() => canary.sides.slice(fromCanary).includes('legacy') && next.sides.slice(fromNext).includes('legacy'), 'legacy answers while TS is down', 60_000);
      await up!.waitFor(/strangler up: ts is back \(pid \d+\)/, 120_000);
      const back = [canary.sides.length, next.sides.length] as const;
      await waitUntil(() => canary.sides.slice(back[0]).includes('ts') && next.sides.slice(back[1]).includes('ts'), 'TS answers again once it is back', 60_000);
    } finally {
      await Promise.all([canary.stop(), next.stop()]);
    }
    console.log(`${door}: canary route ${JSON.stringify(canary.counts)}, next route ${JSON.stringify(next.counts)}`);
    expect(canary.counts.failed, canary.failures.join('\n')).toBe(0);
    expect(next.counts.failed, next.failures.join('\n')).toBe(0);
    // Counted where the demoter reads them: by the front door (nginx through `up`'s tailer of its log).
    const evidence = openEvidence(join(stateDir, 'state.db'));
    try {
      await waitUntil(
        () => evidence.window('/', startedAt).fallbacks.total > 0 && evidence.window('/api/v1/boards', startedAt).fallbacks.total > 0,
        'fallbacks in the evidence store',
        15_000,
      );
      expect(Object.keys(evidence.window('/', startedAt).fallbacks.byDoor)).toContain(door);
    } finally {
      evidence.close();
    }
  });

  it('keeps every session on its side after the TS server restarted', async () => {
    const sides = await sidesOf(front, sessions);
    for (const session of sessions) expect(sides.get(session), session).toBe(expectedSide(session, 50));
  });

  it('keeps every session already on TS there when the percentage goes up, and adds those the new share takes', async () => {
    writeFileSync(routes, readFileSync(routes, 'utf8').replace(/(- path: \/b\n\s+mode: canary\n\s+)percent: 50\n/, '$1percent: 80\n'));
    const reload = await strangler(['reload', '--why', 'canary 50 -> 80'], env);
    expect(reload.status, reload.stdout + reload.stderr).toBe(0);
    const sides = await sidesOf(front, sessions);
    for (const session of sessions) {
      if (expectedSide(session, 50) === 'ts') expect(sides.get(session), session).toBe('ts');
      expect(sides.get(session), session).toBe(expectedSide(session, 80));
    }
  });
});
