import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log/index.ts';
import { openEvidence } from './index.ts';
import { lazyEvidence } from './lazy.ts';

const DAY_MS = 86_400_000;

describe('lazyEvidence', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const stateFile = () => {
    const dir = mkdtempSync(join(tmpdir(), 'strangler-lazy-'));
    dirs.push(dir);
    return join(dir, 'state', 'state.db');
  };
  const requestsTenDaysAgo = (file: string): void => {
    const old = openEvidence(file, { now: () => Date.now() - 10 * DAY_MS, retentionDays: 30 });
    const recorder = old.recorder();
    recorder.request('/a', 'legacy', 200, 3, false);
    old.close();
  };
  const oldRequests = (file: string): number => {
    const store = openEvidence(file, { retentionDays: 30 });
    try {
      return store.window('/a', 0).sides.legacy.requests;
    } finally {
      store.close();
    }
  };
  const fallBackOnce = (file: string, options?: { retentionDays: number }): void => {
    const evidence = lazyEvidence(file, createLogger('test', 'silent'), options);
    evidence.recorder()!.fallback('/a', 'edge', 'ts-unreachable');
    evidence.close();
  };

  it('prunes by the retention it is given, not the default, since every writer prunes', () => {
    const file = stateFile();
    requestsTenDaysAgo(file);
    fallBackOnce(file, { retentionDays: 30 });
    expect(oldRequests(file)).toBe(1);
    fallBackOnce(file);
    expect(oldRequests(file)).toBe(0);
  });

  it('creates the state directory private, as it holds request samples', () => {
    const file = stateFile();
    fallBackOnce(file);
    expect(statSync(join(file, '..')).mode & 0o777).toBe(0o700);
  });
});
