/**
 * `strangler reload --code`: the TS workers restart one at a time (a new one listens before an old one
 * drains), so under steady keep-alive load through the front door no request fails, and afterwards every
 * worker is a new process serving the same table.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/processes.ts';
import { runUp, stackEnv, type Up } from '../helpers/up.ts';
import { steadyLoad, strangler } from './load.ts';

describe('strangler reload --code', { timeout: 300_000 }, () => {
  const { dir, cleanup } = tempDir('strangler-reload-code-');
  let up: Up | undefined;
  afterAll(async () => {
    await up?.stop();
    cleanup();
  });

  it('replaces every TS worker with no failed request through the edge', async () => {
    const env = await stackEnv(dir, 'edge', 2);
    up = runUp(env);
    const [, front] = await up.waitFor(/front door\s+(http:\/\/\S+)/, 120_000);
    const before = await strangler(['status', '--json'], env);
    const pids = (JSON.parse(before.stdout) as { stack: { processes: { name: string; pid: number }[] } }).stack.processes.filter((p) => p.name.startsWith('ts')).map((p) => p.pid);
    expect(pids).toHaveLength(2);
    const load = steadyLoad(front!, '/api/v1/threads/1', 6);
    try {
      for (let round = 0; round < 2; round++) {
        const result = await strangler(['reload', '--code', '--why', 'new handler code'], env);
        expect(result.status, result.stdout + result.stderr).toBe(0);
        expect(result.stdout).toContain('All processes agree');
      }
    } finally {
      await load.stop();
    }
    expect(load.counts.failed, load.failures.slice(0, 10).join('\n')).toBe(0);
    expect(load.counts.bySide.ts).toBeGreaterThan(0);
    const after = await strangler(['status', '--json'], env);
    const now = (JSON.parse(after.stdout) as { stack: { processes: { name: string; pid: number }[] } }).stack.processes.filter((p) => p.name.startsWith('ts')).map((p) => p.pid);
    expect(now, `strangler up said, last:\n${up.output.slice(-60).join('\n')}`).toHaveLength(2);
    expect(now.filter((pid) => pids.includes(pid))).toEqual([]);
    console.log(`reload --code twice under load: ${load.counts.ok} answered, ${load.counts.failed} failed`);
  });
});
