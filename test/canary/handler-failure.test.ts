/**
 * Fallback at the TS server with real processes (the forum's legacy app, the TS server with a service
 * that fails on purpose, and each front door): a GET whose handler throws before any byte is answered by
 * legacy, marked, counted in the evidence store and the metrics; a GET whose handler fails after its
 * first byte has its connection cut, and legacy is never asked.
 */
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answeredByParams, answeredBySide } from '../../gateway/access/index.ts';
import { openEvidence } from '../../gateway/evidence/index.ts';
import { internalEnv, seedDatabase, startLegacy, startTs, tempDir, waitUntil, type RunningProcess } from '../helpers/processes.ts';
import { NGINX, startEdge, startNginx } from '../helpers/stack.ts';

const SERVICES = 'test/canary/fixtures/failing-services.ts';
const ROUTES = `version: 1
backends:
  legacy: { url: "http://127.0.0.1:\${LEGACY_PORT}" }
  ts: { url: "http://127.0.0.1:\${TS_PORT}" }
routes:
  - { path: /, mode: legacy }
  - { path: /api/v1/boards, exact: true, mode: next, handler: failing, methods: [GET] }
  - { path: /t, mode: next, handler: failing, methods: [GET] }
`;

interface Answer {
  status: number | null;
  body: string;
  answeredBy: string | undefined;
  /** How the answer ended: 'end' when whole, else what broke it. */
  ended: string;
}

function get(url: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      const done = (ended: string) => resolve({ status: res.statusCode ?? null, body, answeredBy: res.headers['x-strangler-answered-by'] as string | undefined, ended });
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => done('end'));
      res.on('aborted', () => done('aborted'));
      res.on('error', (err) => done(err.message));
    });
    req.on('error', (err) => resolve({ status: null, body: '', answeredBy: undefined, ended: err.message }));
    req.end();
  });
}

describe('a TS handler that fails, with real processes', { timeout: 120_000 }, () => {
  const { dir, cleanup } = tempDir('strangler-handler-failure-');
  const stateDir = join(dir, 'state');
  let legacy: RunningProcess;
  let ts: RunningProcess;
  let env: Record<string, string>;
  const doors: { name: string; url: string; stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    const routes = join(dir, 'routes.yaml');
    writeFileSync(routes, ROUTES);
    env = { FORUM_DB: seedDatabase(dir), ...(await internalEnv()), ROUTES: routes, STRANGLER_ANSWERED_BY: '1', STRANGLER_STATE_DIR: stateDir, LOG_LEVEL: 'warn' };
    legacy = await startLegacy(env);
    env.LEGACY_PORT = String(legacy.port);
    ts = await startTs({ ...env, STRANGLER_SERVICES: SERVICES });
    env.TS_PORT = String(ts.port);
    const edge = await startEdge(env);
    doors.push({ name: 'edge', url: edge.url, stop: () => edge.stop() });
    if (NGINX.ok) doors.push({ name: 'nginx', ...(await startNginx(join(dir, 'nginx'), env)) });
  });

  afterAll(async () => {
    await Promise.all(doors.map((door) => door.stop()));
    await Promise.all([ts?.stop(), legacy?.stop()]);
    cleanup();
  });

  it('answers a GET whose handler throws with legacy, through every door, marked and counted', async () => {
    const startedAt = Date.now();
    for (const door of doors) {
      const res = await get(`${door.url}/api/v1/boards`);
      expect(res.status, door.name).toBe(200);
      expect(
        (JSON.parse(res.body) as { boards: { slug: string }[] }).boards.map((board) => board.slug),
        door.name,
      ).toContain('general');
      expect(answeredBySide(res.answeredBy), door.name).toBe('legacy');
      expect(answeredByParams(res.answeredBy), door.name).toMatchObject({ route: '/api/v1/boards', fallback: 'ts-error' });
    }
    const evidence = openEvidence(join(stateDir, 'state.db'));
    try {
      // The TS server writes its sums once a second.
      await waitUntil(() => evidence.window('/api/v1/boards', startedAt).fallbacks.byDoor.ts === doors.length, 'the fallbacks in the evidence store');
    } finally {
      evidence.close();
    }
    const metrics = await fetch(`${ts.internalUrl ?? env.STRANGLER_INTERNAL_URL}/metrics`, { headers: { authorization: `Bearer ${env.STRANGLER_INTERNAL_TOKEN}` } }).then((r) =>
      r.text(),
    );
    expect(metrics).toContain(`strangler_fallbacks_total{route="/api/v1/boards",door="ts"} ${doors.length}`);
  });

  it('cuts the connection of a GET whose handler fails after its first byte, through every door', async () => {
    for (const door of doors) {
      const res = await get(`${door.url}/t/1`);
      expect(res.status, door.name).toBe(200);
      expect(res.body, door.name).toContain('the first part');
      expect(res.ended, door.name).not.toBe('end');
      expect(answeredBySide(res.answeredBy), door.name).toBe('ts');
    }
  });
});
