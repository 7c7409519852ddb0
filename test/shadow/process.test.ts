/**
 * The shadow process against real processes: the TS server runs each copy in a child process of its own
 * (started with the first copy) at the lowest CPU priority, so a handler on trial that never gives its event loop back freezes only that
 * child, which is killed and replaced while every user keeps being answered. The inline runner
 * (STRANGLER_SHADOW_RUNNER=inline) still works where it is chosen.
 */
import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { isAlive } from '../helpers/children.ts';
import { waitUntil } from '../helpers/processes.ts';
import { useTrialStack } from './trial-stack.ts';

describe('the shadow process', { timeout: 120_000 }, () => {
  const stack = useTrialStack();

  it('starts with the first copy, at the lowest priority, beside the server', async () => {
    // A server that has shadowed nothing yet holds no shadow process.
    expect(stack().shadowPids()).toEqual([]);
    expect((await fetch(`${stack().ts.url}/unsafe/1`)).status).toBe(200);
    // The copy waited for the new process to be ready: compared, not dropped.
    await stack().waitFor('/unsafe', (e) => e.comparisons.matches === 1, 'the first copy compared');
    expect(stack().evidence('/unsafe').shadow.droppedConcurrency).toBe(0);
    const [pid] = stack().shadowPids();
    expect(pid).not.toBe(stack().ts.child.pid);
    expect(getPriority(pid!)).toBe(19);
  });

  it('keeps answering users while a handler loops forever, then kills the stuck process, counts the copy failed and starts another', async () => {
    const [first] = stack().shadowPids();
    expect((await fetch(`${stack().ts.url}/spin/1`)).status).toBe(200);
    // The copy is in the child, spinning: users on every route are answered all the same, legacy's answer each time.
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${stack().ts.url}/canary/${i}`);
      expect(await res.json()).toEqual({ id: String(i), title: `item ${i}`, tags: ['a', 'b'] });
    }
    // Still the same, stuck child: the answers above did not wait for it to go.
    expect(stack().shadowPids()).toEqual([first]);
    const evidence = await stack().waitFor('/spin', (e) => e.shadow.failed === 1, 'the looping copy counted failed');
    expect(evidence.shadow.sent).toBe(0);
    await waitUntil(() => !isAlive(first!) && stack().shadowPids().length === 2, 'the stuck shadow process replaced');
    // The new child takes copies again.
    const before = stack().evidence('/same').comparisons.total;
    expect((await fetch(`${stack().ts.url}/same/9`)).status).toBe(200);
    await stack().waitFor('/same', (e) => e.comparisons.total === before + 1, 'a copy compared by the new shadow process');
    expect(stack().ts.child.exitCode).toBeNull();
  });

  it('counts a copy lost with a shadow process that dies as failed, and starts another', async () => {
    const pids = stack().shadowPids();
    const current = pids[pids.length - 1]!;
    const failedBefore = stack().evidence('/slow').shadow.failed;
    expect((await fetch(`${stack().ts.url}/slow/1`)).status).toBe(200);
    await waitUntil(() => stack().gate.waiting() === 1, 'the copy blocked in the shadow process');
    process.kill(current, 'SIGKILL');
    await stack().waitFor('/slow', (e) => e.shadow.failed === failedBefore + 1, 'the lost copy counted failed');
    await waitUntil(() => stack().shadowPids().length === pids.length + 1, 'a new shadow process');
    expect((await fetch(`${stack().ts.url}/slow/2`)).status).toBe(200);
    expect(stack().ts.child.exitCode).toBeNull();
  });
});

describe('a TS server stopping', { timeout: 120_000 }, () => {
  const stack = useTrialStack();

  it('lets its shadow process finish the copy in hand and write it before both exit', async () => {
    expect((await fetch(`${stack().ts.url}/same/1`)).status).toBe(200);
    await stack().waitFor('/same', (e) => e.comparisons.total === 1, 'the first copy compared');
    const [pid] = stack().shadowPids();
    // Stopped right after the answer: the copy is still in the shadow process (its evidence not yet written).
    expect((await fetch(`${stack().ts.url}/same/2`)).status).toBe(200);
    await stack().ts.stop();
    expect(stack().evidence('/same').comparisons.total).toBe(2);
    await waitUntil(() => !isAlive(pid!), 'the shadow process gone with its server');
  });
});

describe('the inline runner', { timeout: 120_000 }, () => {
  const stack = useTrialStack({ STRANGLER_SHADOW_RUNNER: 'inline' });

  it('compares in the serving process and starts no shadow process', async () => {
    expect((await fetch(`${stack().ts.url}/same/3`)).status).toBe(200);
    const evidence = await stack().waitFor('/same', (e) => e.comparisons.mismatches === 1, 'one mismatch');
    expect(evidence.shadow.sent).toBe(1);
    expect(stack().shadowPids()).toEqual([]);
  });

  it('drops a copy over the route’s cap, counted, and answers its user all the same', async () => {
    expect((await fetch(`${stack().ts.url}/slow/1`)).status).toBe(200);
    await waitUntil(() => stack().gate.waiting() === 1, 'the handler blocked on the gate');
    // One copy in flight is the route's cap: inline, the next is dropped rather than held.
    expect((await fetch(`${stack().ts.url}/slow/2`)).status).toBe(200);
    await stack().waitFor('/slow', (e) => e.shadow.droppedConcurrency === 1, 'one copy dropped');
    // The dropped copy never reached the handler.
    expect(stack().gate.waiting()).toBe(1);
    stack().gate.release();
  });
});
