/**
 * Start the real processes of the stack on port 0 for process-level tests. The spawning itself lives in
 * gateway/process (the CLI's `up` uses the same code); this adds what only tests need. Every process a
 * test file spawns, through these helpers or not, is stopped when the file ends (test/helpers/setup.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnServer as spawnAnyServer, type SpawnOptions, type RunningProcess } from '../../gateway/process/index.ts';

export { stopChild, freePort, waitForPort, isListening } from '../../gateway/process/index.ts';
export type { RunningProcess, SpawnOptions };

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const PYTHON = process.env.PYTHON ?? 'python3';

/** Spawn a server from the repository root and resolve once it logs its listening line. */
export const spawnServer = (options: SpawnOptions): Promise<RunningProcess> => spawnAnyServer({ cwd: ROOT, ...options });

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'strangler-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Seed a fresh database of the given size into `dir` and return its path. */
export function seedDatabase(dir: string, size: 'tiny' | 'demo' | 'bench' = 'tiny'): string {
  const db = join(dir, 'forum.db');
  const result = spawnSync(PYTHON, ['legacy-python/seed.py', '--db', db, '--size', size], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`seeding failed: ${result.stderr}${result.stdout}`);
  return db;
}

/** The forum's composition root, which the TS server loads (STRANGLER_SERVICES) unless a test says otherwise. */
export const FORUM_SERVICES = 'services/index.ts';

/** The internal token test processes share unless a test sets its own. */
export const TEST_INTERNAL_TOKEN = 'test-internal-token-0123456789abcdef0123456789';

/**
 * The environment both sides need for internal calls: the token, and a port for the TS server's internal
 * listener chosen before legacy starts (legacy is told where to call before the TS server exists).
 */
export async function internalEnv(token = TEST_INTERNAL_TOKEN): Promise<Record<string, string>> {
  const port = await freePort();
  return { STRANGLER_INTERNAL_TOKEN: token, INTERNAL_PORT: String(port), STRANGLER_INTERNAL_URL: `http://127.0.0.1:${port}` };
}

export const startLegacy = (env: Record<string, string>): Promise<RunningProcess> =>
  spawnServer({ name: 'legacy', command: PYTHON, args: ['legacy-python/serve.py'], env: { LEGACY_PORT: '0', STRANGLER_INTERNAL_TOKEN: TEST_INTERNAL_TOKEN, ...env } });

export const startTs = (env: Record<string, string>): Promise<RunningProcess> =>
  spawnServer({
    name: 'ts',
    command: process.execPath,
    args: ['--import', 'tsx', 'gateway/server/main.ts'],
    env: { TS_PORT: '0', INTERNAL_PORT: '0', STRANGLER_INTERNAL_TOKEN: TEST_INTERNAL_TOKEN, STRANGLER_SERVICES: FORUM_SERVICES, ...env },
  });

export const startEdge = (env: Record<string, string>): Promise<RunningProcess> =>
  spawnServer({ name: 'edge', command: process.execPath, args: ['--import', 'tsx', 'gateway/edge/main.ts'], env: { FRONT_PORT: '0', ...env } });

/** Poll `check` until it holds; throws naming `what` after the timeout (log lines arrive a moment after the response). */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
