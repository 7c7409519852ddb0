import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openEvidence } from './index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRITER = fileURLToPath(new URL('./concurrent-writer.fixture.ts', import.meta.url));
const ROUNDS = 60;

const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'strangler-evidence-concurrent-'));
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const nextMessage = (child: ChildProcess, expected: string) =>
  new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`writer exited with ${code} before '${expected}'`));
    child.once('exit', onExit);
    child.on('message', function listen(message) {
      if (message !== expected) return;
      child.off('message', listen);
      child.off('exit', onExit);
      resolve();
    });
  });

describe('the evidence store under several writing processes', () => {
  it('loses nothing when two processes and this one flush into the same minutes at once', async () => {
    const file = join(dir, 'state.db');
    const store = openEvidence(file);
    const writers = ['one', 'two'].map((name) => fork(WRITER, [file, name, String(ROUNDS)], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: 'inherit' }));
    children.push(...writers);
    await Promise.all(writers.map((w) => nextMessage(w, 'ready')));
    const done = Promise.all(writers.map((w) => nextMessage(w, 'done')));
    for (const writer of writers) writer.send('go');
    const mine = store.recorder();
    for (let round = 0; round < ROUNDS; round++) {
      mine.request('/shared', 'ts', 200, 3, false);
      mine.flush();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await done;
    mine.close();
    const evidence = store.window('/shared', Date.now() - 3_600_000);
    expect(evidence.sides.legacy.requests).toBe(2 * ROUNDS * 90);
    expect(evidence.sides.ts.requests).toBe(2 * ROUNDS * 10 + ROUNDS);
    expect(evidence.sides.legacy.errors + evidence.sides.ts.errors).toBe(2 * ROUNDS * 4);
    expect(evidence.shadow.sent).toBe(2 * ROUNDS);
    expect(evidence.fallbacks.byDoor).toEqual({ edge: 2 * ROUNDS });
    expect(evidence.comparisons).toMatchObject({ total: 2 * ROUNDS, mismatches: 2 * (ROUNDS / 5) });
    const [status] = store.classes('/shared');
    expect(status!.count).toBe(2 * (ROUNDS / 5));
    expect(status!.samples).toHaveLength(3);
    store.close();
  });
});
