/**
 * Legacy and the TS server as real processes on one freshly seeded database, on port 0. (The same as
 * test/helpers/stack.ts without a front door, and without depending on the front-door modules.)
 *
 * @example
 * const pair = await startPair();
 * await fetch(`${pair.ts.url}/api/v1/boards`);
 * await pair.stop();
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { FORUM_SERVICES, internalEnv, ROOT, seedDatabase, startLegacy, startTs, tempDir, TEST_INTERNAL_TOKEN, type RunningProcess } from '../helpers/processes.ts';

export interface Pair {
  readonly legacy: RunningProcess;
  readonly ts: RunningProcess;
  /** A temporary directory holding the database, removed by stop(). */
  readonly dir: string;
  stop(): Promise<void>;
}

export interface PairOptions {
  /** Added to the TS server's environment; gets the pair's directory (e.g. to write a routes file there). */
  readonly tsEnv?: (dir: string) => Record<string, string>;
  readonly legacyEnv?: Record<string, string>;
}

/** A seeded database, legacy on it, and the TS server pointed at that legacy. */
export async function startPair({ tsEnv = () => ({}), legacyEnv = {} }: PairOptions = {}): Promise<Pair> {
  const { dir, cleanup } = tempDir('strangler-ts-');
  const env = { FORUM_DB: seedDatabase(dir), LOG_LEVEL: 'info', ...(await internalEnv()) };
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

/** Run the TS server to its end (for start-up refusals), on port 0 with the test token unless `env` says otherwise. */
export const runTs = (env: Record<string, string>): SpawnSyncReturns<string> =>
  spawnSync(process.execPath, ['--import', 'tsx', 'gateway/server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, TS_PORT: '0', INTERNAL_PORT: '0', STRANGLER_INTERNAL_TOKEN: TEST_INTERNAL_TOKEN, STRANGLER_SERVICES: FORUM_SERVICES, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
