/**
 * The live scenarios at a tiny size (`npm run bench -- --quick --only live-connections,live-soak`, 50
 * connections, 3 soak rounds of 50): they hold every connection, deliver the post to every client,
 * measure the servers' memory and write bench/results-style live.md and live.json. No timing or memory
 * goal is asserted: the machines are shared and noisy.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport, ScenarioReport } from '../../bench/lib/types.ts';
import { ROOT, tempDir } from '../helpers/processes.ts';

const RUN_TIMEOUT_MS = 300_000;
const SIZE = 50;

describe('npm run bench -- --quick --only live-connections,live-soak', () => {
  const { dir, cleanup } = tempDir('strangler-bench-live-');
  let exitCode: number | null = null;
  let output = '';
  let report: BenchReport;
  const scenario = (name: string): ScenarioReport => report.scenarios.find((s) => s.name === name)!;

  beforeAll(async () => {
    exitCode = await new Promise<number | null>((done) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--only', 'live-connections,live-soak', '--out', dir], {
        cwd: ROOT,
        env: { ...process.env, BENCH_LIVE_SIZES: String(SIZE), BENCH_LIVE_SOAK: `3x${SIZE}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (chunk: Buffer) => (output += chunk));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk));
      child.on('close', done);
    });
    report = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as BenchReport;
  }, RUN_TIMEOUT_MS);
  afterAll(() => cleanup());

  it('exits 0 with both live scenarios measured', () => {
    expect(exitCode, output).toBe(0);
    expect(scenario('live-connections').status, scenario('live-connections').reason).toBe('measured');
    expect(scenario('live-soak').status, scenario('live-soak').reason).toBe('measured');
  });

  it('holds every connection and delivers the post to every client, on TS and the stand-in (SSE and WebSocket) and on legacy', () => {
    const checks = scenario('live-connections').checks!;
    const missed = checks.filter((c) => c.label.includes('not held or post not received'));
    const measured = [...servers('sse').map((s) => `SSE, ${SIZE} on ${s}`), ...servers('ws').map((s) => `WebSocket, ${SIZE} on ${s}`), `SSE, ${SIZE} on legacy`];
    expect(missed.map((c) => c.label)).toEqual(measured.map((l) => `${l}: connections not held or post not received`));
    for (const c of missed) expect(c.value, c.label).toBe(0);
    for (const c of checks.filter((c) => c.unit === 'ms')) expect(c.value, c.label).toBeGreaterThan(0);
    for (const c of checks.filter((c) => c.unit === 'KiB')) expect(Number.isFinite(c.value), c.label).toBe(true);
  });

  it('says which file-descriptor limit the servers ran with', () => {
    const facts = scenario('live-connections').facts!;
    expect(facts.fdHardLimit).toBeGreaterThanOrEqual(facts.fdSoftLimit as number);
    expect(readFileSync(join(dir, 'live.md'), 'utf8')).toContain(`\`ulimit -n\` was ${facts.fdSoftLimit}`);
  });

  it('soaks three rounds, each holding every connection and closing every socket, with memory read after each', () => {
    const data = JSON.parse(readFileSync(join(dir, 'live.json'), 'utf8')) as { 'live-soak': { data: { rounds: { held: number; rssAfterGcKiB: number }[] } } };
    const rounds = data['live-soak'].data.rounds;
    expect(rounds.map((r) => r.held)).toEqual([SIZE, SIZE, SIZE]);
    for (const r of rounds) expect(r.rssAfterGcKiB).toBeGreaterThan(0);
    for (const c of scenario('live-soak').checks!.filter((c) => c.goal?.target === 0)) expect(c.value, c.label).toBe(0);
  });

  it('writes live.md with a section per scenario', () => {
    const markdown = readFileSync(join(dir, 'live.md'), 'utf8');
    expect(markdown).toMatch(/^# Live connections: figures/);
    expect(markdown).toContain('(`live-connections`,');
    expect(markdown).toContain('(`live-soak`,');
  });

  /** The TS server and the stand-in once the TS server serves the feed itself, the stand-in alone until then (the scenario says which in its facts). */
  function servers(kind: 'sse' | 'ws'): string[] {
    const facts = scenario('live-connections').facts!;
    return facts[kind === 'sse' ? 'tsServesSse' : 'tsServesWebSocket'] === 'true' ? ['TS', 'stand-in'] : ['stand-in'];
  }
});
