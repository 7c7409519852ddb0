/**
 * Legacy and the TS server as real processes on one freshly seeded database, on port 0. (The same as
 * test/helpers/stack.ts without a front door, and without depending on the front-door modules.)
 *
 * @example
 * const pair = await startPair();
 * await fetch(`${pair.ts.url}/api/v1/boards`);
 * await pair.stop();
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PYTHON, ROOT, spawnServer, tempDir, type RunningProcess } from '../helpers/processes.ts';

export interface Pair {
  readonly legacy: RunningProcess;
  readonly ts: RunningProcess;
  /** A temporary directory holding the database, removed by stop(). */
  readonly dir: string;
  stop(): Promise<void>;
}

/** Seed a tiny database into `dir` and return its path. */
export function seedTiny(dir: string): string {
  const db = join(dir, 'forum.db');
  const result = spawnSync(PYTHON, ['legacy-python/seed.py', '--db', db, '--size', 'tiny'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`seeding failed: ${result.stderr}${result.stdout}`);
  return db;
}

export const startLegacy = (env: Record<string, string>): Promise<RunningProcess> =>
  spawnServer({ name: 'legacy', command: PYTHON, args: ['legacy-python/serve.py'], env: { LEGACY_PORT: '0', ...env } });

export const startTs = (env: Record<string, string>): Promise<RunningProcess> =>
  spawnServer({ name: 'ts', command: process.execPath, args: ['--import', 'tsx', 'gateway/server/main.ts'], env: { TS_PORT: '0', ...env } });

export interface PairOptions {
  /** Added to the TS server's environment; gets the pair's directory (e.g. to write a routes file there). */
  readonly tsEnv?: (dir: string) => Record<string, string>;
  readonly legacyEnv?: Record<string, string>;
}

/** A seeded database, legacy on it, and the TS server pointed at that legacy. */
export async function startPair({ tsEnv = () => ({}), legacyEnv = {} }: PairOptions = {}): Promise<Pair> {
  const { dir, cleanup } = tempDir('strangler-ts-');
  const env = { FORUM_DB: seedTiny(dir), LOG_LEVEL: 'info' };
  const legacy = await startLegacy({ ...env, ...legacyEnv }).catch((err: unknown) => {
    cleanup();
    throw err;
  });
  const ts = await startTs({ ...env, LEGACY_PORT: String(legacy.port), ...tsEnv(dir) }).catch(async (err: unknown) => {
    await legacy.stop();
    cleanup();
    throw err;
  });
  return {
    legacy,
    ts,
    dir,
    async stop() {
      await Promise.all([legacy.stop(), ts.stop()]);
      cleanup();
    },
  };
}
