/**
 * A pid is only a name while its process runs: with pid_max at 32768 a test run hands numbers out again,
 * so the helpers that stop what tests started (children.ts, the reaper) remember each child's start time
 * and never signal a process that merely has the same number now.
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, signalGroup, startTimeOf } from './pids.mjs';
import { waitUntil } from './processes.ts';

const sleeper = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
afterAll(() => void sleeper.kill('SIGKILL'));

describe('pids remembered with their start time', () => {
  it('signals a process only while the pid still names the one that was started', async () => {
    const pid = sleeper.pid!;
    const startTime = startTimeOf(pid);
    expect(startTime).toMatch(/^\d+$/);
    // Another process's start time: the pid names someone else, who is left alone.
    const other = String(Number(startTime) + 1);
    expect(isAlive(pid, other)).toBe(false);
    signalGroup(pid, 'SIGTERM', other);
    expect(isAlive(pid, startTime)).toBe(true);
    signalGroup(pid, 'SIGTERM', startTime);
    await waitUntil(() => !isAlive(pid, startTime), 'the sleeper gone');
    expect(startTimeOf(2 ** 22 + 1)).toBeNull();
  });
});
