/**
 * The traffic modes' proof, on real processes through each front door (the Node edge, and nginx when
 * installed): `strangler up` runs the forum with every mode at once (test/traffic/fixtures/routes.yaml)
 * and a services module holding a deliberately wrong handler. The wrong handler is caught in shadow and
 * refused promotion, `strangler diff` showing the differing path; the right one is promoted to canary
 * once its comparisons suffice; the TS server is killed during the canary and no user request fails
 * while the demoter moves the route back on its own, the audit log saying why with the evidence.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ROOT, tempDir } from '../helpers/processes.ts';
import { NGINX } from '../helpers/stack.ts';
import { runUp, type Up } from '../helpers/up.ts';

const SERVICES = join(ROOT, 'test/traffic/fixtures/services.ts');
const TABLE = join(ROOT, 'test/traffic/fixtures/routes.yaml');
const AUTOMATIC = 'strangler (automatic)';

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface RouteStatus {
  route: string;
  mode: string;
  percent: number | null;
  evidence: { comparisons: { total: number; mismatches: number }; sides: { ts: { requests: number } }; fallbacks: { total: number } };
  gate: { step: string; verdict: string } | null;
}

/** Poll `check` until it gives a value, naming `what` when it never does. */
async function poll<T>(check: () => Promise<T | null | undefined>, what: string, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * Send `batch` requests at a time until `check` holds. Evidence comes from traffic, and a machine busy with
 * other work may leave the low-priority shadow process behind (its copies dropped, counted): the test
 * sends until the comparisons are there, as a team would, rather than a fixed number of requests.
 */
async function driveUntil(send: (i: number) => Promise<void>, check: () => Promise<boolean>, what: string, batch = 10): Promise<void> {
  let i = 0;
  await poll(async () => {
    for (const end = i + batch; i < end; i++) await send(i);
    return (await check()) ? true : null;
  }, what);
}

const doors = [{ door: 'edge' }, ...(NGINX.ok ? [{ door: 'nginx' }] : [])];

describe.each(doors)('from shadow to canary and back on its own, through the $door front door', { timeout: 600_000 }, ({ door }) => {
  const { dir, cleanup } = tempDir(`strangler-traffic-${door}-`);
  const routes = join(dir, 'routes.yaml');
  let up: Up | undefined;
  let env: Record<string, string>;
  let front: string;
  let tsPid: number;

  const cli = (...args: string[]): Promise<Ran> =>
    new Promise((resolve) =>
      execFile(process.execPath, [join(ROOT, 'bin/strangler.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      ),
    );
  const statusOf = async (path: string): Promise<RouteStatus> => {
    const ran = await cli('status', '--json');
    const parsed = JSON.parse(ran.stdout) as { routes: RouteStatus[] };
    return parsed.routes.find((r) => r.route === path)!;
  };
  const get = async (path: string, cookie?: string): Promise<{ status: number; side: string; body: string }> => {
    const res = await fetch(`${front}${path}`, cookie ? { headers: { cookie } } : {});
    return { status: res.status, side: res.headers.get('x-strangler-answered-by') ?? '', body: await res.text() };
  };

  beforeAll(async () => {
    copyFileSync(TABLE, routes);
    env = {
      STRANGLER_STACK: join(ROOT, 'stack.yaml'),
      ROUTES: routes,
      STRANGLER_SERVICES: SERVICES,
      STRANGLER_STATE_DIR: join(dir, 'state'),
      FORUM_DB: join(dir, 'forum.db'),
      FRONT_PORT: String(await freePort()),
      TS_PORT: String(await freePort()),
      LEGACY_PORT: '0',
      TS_WORKERS: '1',
      STRANGLER_FRONT_DOOR: door,
      STRANGLER_USER: 'traffic-test',
    };
    up = runUp(env);
    [, front] = (await up.waitFor(/front door\s+(http:\/\/\S+)/, 180_000)) as unknown as [string, string];
    tsPid = Number((await up.waitFor(/TS server\s+\S+\s+\(pid (\d+)\)/))[1]);
  }, 240_000);
  afterAll(async () => {
    await up?.stop();
    cleanup();
  });

  it('catches the wrong handler in shadow: users get legacy, diff shows the differing path, promote refuses it', async () => {
    await driveUntil(
      async (i) => {
        const answer = await get(`/api/v1/threads/${(i % 3) + 1}`);
        expect(answer.status).toBe(200);
        // The user gets legacy's answer, not the handler's capitals.
        expect(answer.side).toMatch(/^legacy/);
        const { title } = (JSON.parse(answer.body) as { thread: { title: string } }).thread;
        expect(title).not.toBe(title.toUpperCase());
      },
      async () => (await statusOf('/api/v1/threads')).evidence.comparisons.mismatches >= 20,
      '20 mismatches recorded',
    );
    const diff = await cli('diff', '/api/v1/threads');
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toMatch(/^body-json \/thread\/title {2}\d+ times/m);
    expect(diff.stdout).toMatch(/ {2}sample: GET \/api\/v1\/threads\/\d at /);
    const promote = await cli('promote', '/api/v1/threads', '--why', 'ship it');
    expect(promote.code).toBe(1);
    expect(promote.stdout).toMatch(/gate for \/api\/v1\/threads, shadow -> canary 10%: fail/);
    expect(promote.stdout).toMatch(/nothing was changed/);
    expect(readFileSync(routes, 'utf8')).toMatch(/path: \/api\/v1\/threads\n {4}mode: shadow\n/);
  });

  it('refuses the right handler while its evidence is inconclusive, and promotes it to canary once 20 comparisons agree', async () => {
    const early = await cli('promote', '/api/v1/boards', '--percent', '50', '--why', 'too soon');
    expect(early.code).toBe(1);
    expect(early.stdout).toMatch(/shadow -> canary 50%: inconclusive/);
    await driveUntil(
      async () => expect((await get('/api/v1/boards')).status).toBe(200),
      async () => (await statusOf('= /api/v1/boards')).evidence.comparisons.total >= 20,
      '20 comparisons recorded',
    );
    const promote = await cli('promote', '/api/v1/boards', '--percent', '50', '--why', 'parity holds');
    expect(promote.code, promote.stdout).toBe(0);
    expect(promote.stdout).toMatch(/shadow -> canary 50%: pass/);
    expect(promote.stdout).toMatch(/All processes agree/);
    expect((await statusOf('= /api/v1/boards')).mode).toBe('canary');
  });

  it('answers every request while the TS server dies during the canary, and the demoter moves the route back with the reason and the evidence', async () => {
    const answers: { status: number | string; side: string }[] = [];
    let loading = true;
    const load = async (worker: number): Promise<void> => {
      for (let i = worker; loading; i += 2) {
        try {
          const { status, side } = await get('/api/v1/boards', `forum_session=user-${i % 20}`);
          answers.push({ status, side });
        } catch (err) {
          answers.push({ status: String((err as Error).cause ?? err), side: '' });
        }
      }
    };
    const loaders = [load(0), load(1)];
    try {
      await poll(async () => (answers.some((a) => a.side.startsWith('ts')) ? true : null), 'a canary answer from TS');
      process.kill(tsPid, 'SIGKILL');
      const demotion = await poll(async () => {
        const ran = await cli('log', '--route', '/api/v1/boards', '--json');
        return (JSON.parse(ran.stdout) as { who: string; command: string; outcome: string; why: string; evidence: { window: { fallbacks: { total: number } } } }[]).find(
          (r) => r.who === AUTOMATIC,
        );
      }, 'the automatic demotion in the audit log');
      expect(demotion).toMatchObject({ command: 'demote /api/v1/boards legacy', outcome: 'applied' });
      expect(demotion.why).toMatch(/^TS errors \d+ and fallbacks \d+ are \d+\.\d% of \d+ TS requests in the last 30 s \(limit 5%\); demoting to legacy$/);
      expect(demotion.evidence.window.fallbacks.total).toBeGreaterThanOrEqual(5);
      // The TS server is restarted by up and serves the demoted table; answers keep coming meanwhile.
      await poll(async () => {
        const ran = await cli('status', '--json');
        return (JSON.parse(ran.stdout) as { stack: { agreed: boolean } }).stack.agreed ? true : null;
      }, 'every process agreeing again');
      const after = answers.length;
      await poll(async () => (answers.length >= after + 20 ? true : null), 'more answers after the restart');
    } finally {
      loading = false;
      await Promise.all(loaders);
    }
    const failed = answers.filter((a) => a.status !== 200);
    expect(failed, `${failed.length} of ${answers.length} answers failed`).toEqual([]);
    expect(answers.at(-1)!.side).toMatch(/^legacy/);
    expect(readFileSync(routes, 'utf8')).toMatch(/path: \/api\/v1\/boards\n {4}exact: true\n {4}mode: legacy\n/);
    const log = await cli('log', '--route', '/api/v1/boards');
    expect(log.stdout).toMatch(/strangler \(automatic\): strangler demote \/api\/v1\/boards legacy -> applied\n {4}why: TS errors \d+ and fallbacks \d+/);
    expect(log.stdout).toMatch(/ {4}evidence: .*fallbacks [1-9]/);
  });

  it('runs every mode at once in one table', async () => {
    const ran = await cli('status', '--json');
    const modes = new Set((JSON.parse(ran.stdout) as { routes: RouteStatus[] }).routes.map((r) => r.mode));
    expect([...modes].sort()).toEqual(['canary', 'legacy', 'next', 'shadow']);
    const text = await cli('status');
    expect(text.stdout).toMatch(/^\/b\s+canary 50%\s+boards\s+GET$/m);
    expect(text.stdout).toMatch(/^\/api\/v1\/threads\s+shadow\s+threads-wrong\s+GET$/m);
  });
});
