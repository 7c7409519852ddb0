/**
 * The shadow suites' stack: the trial legacy app (fixtures/trial_app.py, a real Python process), the real
 * TS server with the trial services (fixtures/trial-services.ts) on a table whose routes are in shadow
 * mode, a gate the slow handler waits on, and the evidence the TS server records, read back from its
 * state file.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openEvidence, type EvidenceStore, type RouteEvidence } from '../../gateway/evidence/index.ts';
import { afterAll, beforeAll } from 'vitest';
import { PYTHON, spawnServer, startTs, tempDir, waitUntil, type RunningProcess } from '../helpers/processes.ts';

export const TRIAL_ROUTES = `version: 1
backends:
  legacy: { url: "http://127.0.0.1:\${LEGACY_PORT}" }
  ts: { url: "http://127.0.0.1:\${TS_PORT:-0}" }
settings: { proxy_timeout_s: 3 }
routes:
  - { path: /, mode: legacy }
  - { path: /same, mode: shadow, handler: trial, methods: [GET], shadow: { noise_percent: 0 } }
  - { path: /noisy, mode: shadow, handler: trial, methods: [GET], shadow: { noise_percent: 100 } }
  - { path: /slow, mode: shadow, handler: trial, methods: [GET], shadow: { max_concurrent: 1, noise_percent: 0 } }
  - { path: /boom, mode: shadow, handler: trial, methods: [GET] }
  - { path: /big, mode: shadow, handler: trial, methods: [GET], shadow: { max_body_kb: 1 } }
  - { path: /sampled, mode: shadow, handler: trial, methods: [GET], shadow: { sample_percent: 0 } }
  - { path: /unsafe, mode: shadow, handler: trial, methods: [GET, POST], shadow: { noise_percent: 0 } }
  - { path: /echo, mode: shadow, handler: trial, methods: [POST], shadow: { unsafe: true, max_body_kb: 1 } }
  - { path: /spin, mode: shadow, handler: trial, methods: [GET], shadow: { noise_percent: 0 } }
  - { path: /seen, mode: next, handler: trial, methods: [GET] }
  - { path: /canary, mode: canary, percent: 0.01, handler: trial, methods: [GET], shadow: { noise_percent: 0 } }
`;

/** Requests the slow handler sent to the gate, held until released. */
export interface Gate {
  readonly url: string;
  readonly waiting: () => number;
  release(): void;
  close(): Promise<void>;
}

export async function startGate(): Promise<Gate> {
  const held: ServerResponse[] = [];
  const server = createServer((_req, res) => void held.push(res));
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    waiting: () => held.length,
    release: () => held.splice(0).forEach((res) => res.end('go')),
    close: () =>
      new Promise((done) => {
        held.splice(0).forEach((res) => res.destroy());
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

export interface TrialStack {
  readonly legacy: RunningProcess;
  readonly ts: RunningProcess;
  readonly gate: Gate;
  readonly dir: string;
  readonly env: Record<string, string>;
  /** The route's evidence so far, as the TS server flushed it (once a second). */
  evidence(route: string): RouteEvidence;
  readonly store: EvidenceStore;
  /** The pids of the shadow processes the TS server started so far, oldest first (its log lines). */
  shadowPids(): number[];
  /** Poll the route's evidence until `check` holds. */
  waitFor(route: string, check: (e: RouteEvidence) => boolean, what: string): Promise<RouteEvidence>;
  stop(): Promise<void>;
}

export async function startTrialStack(extraTsEnv: Record<string, string> = {}): Promise<TrialStack> {
  const { dir, cleanup } = tempDir('strangler-shadow-');
  const routes = join(dir, 'routes.yaml');
  writeFileSync(routes, TRIAL_ROUTES);
  const gate = await startGate();
  const legacy = await spawnServer({ name: 'trial-legacy', command: PYTHON, args: ['test/shadow/fixtures/trial_app.py'], env: {} });
  const env = { ROUTES: routes, LEGACY_PORT: String(legacy.port), STRANGLER_STATE_DIR: join(dir, 'state'), LOG_LEVEL: 'info' };
  const ts = await startTs({ ...env, STRANGLER_SERVICES: 'test/shadow/fixtures/trial-services.ts', SHADOW_GATE_URL: gate.url, ...extraTsEnv }).catch(async (err: unknown) => {
    await Promise.all([legacy.stop(), gate.close()]);
    throw err;
  });
  const store = openEvidence(join(dir, 'state', 'state.db'));
  const evidence = (route: string): RouteEvidence => store.window(route, 0);
  return {
    legacy,
    ts,
    gate,
    dir,
    env: { ...env, TS_PORT: String(ts.port) },
    store,
    evidence,
    shadowPids: () =>
      ts.output.flatMap((line) => {
        const match = /"event":"shadow_child_started","pid":(\d+)/.exec(line);
        return match ? [Number(match[1])] : [];
      }),
    async waitFor(route, check, what) {
      await waitUntil(() => check(evidence(route)), `${what} on ${route} (now ${JSON.stringify(evidence(route).shadow)} ${JSON.stringify(evidence(route).comparisons)})`, 60_000);
      return evidence(route);
    },
    async stop() {
      store.close();
      gate.release();
      await Promise.all([legacy.stop(), ts.stop(), gate.close()]);
      cleanup();
    },
  };
}

/** A trial stack for the enclosing suite: started before its tests, stopped after them (even when one fails). */
export function useTrialStack(extraTsEnv: Record<string, string> = {}): () => TrialStack {
  let stack: TrialStack | undefined;
  beforeAll(async () => {
    stack = await startTrialStack(extraTsEnv);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });
  return () => stack!;
}
