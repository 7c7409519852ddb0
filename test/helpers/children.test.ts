/**
 * A test file that times out or whose process is killed leaves no process running: the fixture
 * (fixtures/leaky.fixture.ts) starts an edge, a `sleep` and a shell with a `sleep` of its own, and
 * never stops them; vitest runs it here as a child, and every pid it started must be gone afterwards.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, waitUntilGone } from './children.ts';
import { ROOT, tempDir, waitUntil } from './processes.ts';

// The reaper's grace period (5 s) and a busy machine's slack.
const GONE_WITHIN_MS = 20_000;

const { dir, cleanup } = tempDir('strangler-leaky-');
afterAll(() => cleanup());

type Pids = Record<'worker' | 'edge' | 'sleeper' | 'shell' | 'grandchild', number>;

/** vitest on the leaky fixture, as a child of this test. */
function runFixture(name: string, timeoutMs: number) {
  const pidsFile = join(dir, `${name}.json`);
  const child = spawn(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/helpers/fixtures/vitest.config.ts'], {
    cwd: ROOT,
    env: { ...process.env, LEAKY_PIDS_FILE: pidsFile, LEAKY_TIMEOUT_MS: String(timeoutMs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pids = async (): Promise<Pids> => {
    await waitUntil(() => existsSync(pidsFile) && readFileSync(pidsFile, 'utf8').length > 0, `the fixture's pids (${pidsFile}):\n${output}`, 60_000);
    return JSON.parse(readFileSync(pidsFile, 'utf8')) as Pids;
  };
  return { child, exited, pids, output: () => output };
}

describe('processes a test file started', () => {
  it('are all stopped when the test times out', async () => {
    const run = runFixture('timeout', 15_000);
    const pids = await run.pids();
    expect(
      Object.values(pids).every((pid) => isAlive(pid)),
      'the fixture had its processes running',
    ).toBe(true);
    await run.exited;
    expect(run.output()).toMatch(/Test timed out/);
    await waitUntilGone(Object.values(pids), GONE_WITHIN_MS);
  }, 120_000);

  it('are all stopped when the process running the test file is killed', async () => {
    const run = runFixture('killed', 300_000);
    const pids = await run.pids();
    expect(
      Object.values(pids).every((pid) => isAlive(pid)),
      'the fixture had its processes running',
    ).toBe(true);
    process.kill(pids.worker, 'SIGKILL');
    try {
      await waitUntilGone(Object.values(pids), GONE_WITHIN_MS);
    } finally {
      run.child.kill('SIGKILL');
      await run.exited;
    }
  }, 120_000);
});
