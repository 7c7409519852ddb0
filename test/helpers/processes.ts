/**
 * Start the real processes of the stack on port 0 for process-level tests. The spawning itself lives in
 * gateway/process (the CLI's `up` uses the same code); this adds what only tests need.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnServer as spawnAnyServer, type SpawnOptions, type RunningProcess } from '../../gateway/process/index.ts';

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
