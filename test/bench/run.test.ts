/**
 * `npm run bench -- --quick` as CI runs it: every landed scenario is measured and written out. No
 * timing goal is asserted: the machines are shared and noisy, so a ratio can swing on any given run.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/lib/types.ts';
import { isPending, SCENARIOS } from '../../bench/scenarios/index.ts';
import { ROOT, tempDir } from '../helpers/processes.ts';

// Every scenario at its smallest, one after the other, on a loaded two-core machine: minutes, not seconds.
const QUICK_RUN_TIMEOUT_MS = 600_000;

describe('npm run bench -- --quick', () => {
  const { dir, cleanup } = tempDir('strangler-bench-test-');
  let exitCode: number | null = null;
  let output = '';
  let report: BenchReport;

  beforeAll(async () => {
    exitCode = await new Promise<number | null>((done) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (chunk: Buffer) => (output += chunk));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk));
      child.on('close', done);
    });
    report = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as BenchReport;
  }, QUICK_RUN_TIMEOUT_MS);
  afterAll(() => cleanup());

  it('exits 0 and says where it wrote the results', () => {
    expect(exitCode, output).toBe(0);
    expect(output).toContain(join(dir, 'latest.json'));
  });

  it('writes a report with the machine, the mode and the command', () => {
    expect(report.mode).toBe('quick');
    expect(report.command).toContain('--quick');
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.cpuModel).not.toBe('');
    expect(report.machine.versions.node).toBe(process.version);
    expect(Date.parse(report.date)).not.toBeNaN();
  });

  it('lists every scenario, and marks the ones whose feature has not landed as such', () => {
    expect(report.scenarios.map((s) => s.name)).toEqual(SCENARIOS.map((s) => s.name));
    for (const scenario of SCENARIOS.filter(isPending)) {
      expect(report.scenarios.find((s) => s.name === scenario.name)).toMatchObject({ status: 'not landed' });
    }
  });

  it('measures every landed scenario (or says why this machine skipped it) with positive throughput or figures, and no errors', () => {
    const landed = report.scenarios.filter((s) => s.status !== 'not landed');
    expect(landed.length).toBeGreaterThan(0);
    for (const scenario of landed) {
      if (scenario.status === 'skipped') {
        expect(scenario.reason, scenario.name).toBeTruthy();
        continue;
      }
      expect(scenario.status, `${scenario.name}: ${scenario.reason ?? ''}`).toBe('measured');
      // A scenario measures load configurations, or (a client's round trip) only figures of its own.
      expect((scenario.configurations?.length ?? 0) + (scenario.checks?.length ?? 0), scenario.name).toBeGreaterThan(0);
      for (const configuration of scenario.configurations ?? []) {
        const where = `${scenario.name} / ${configuration.label}`;
        expect(configuration.runs.length, where).toBeGreaterThan(0);
        expect(configuration.rps.median, where).toBeGreaterThan(0);
        expect(configuration.p50Ms, where).toBeGreaterThan(0);
        expect(configuration.errors, where).toBe(0);
      }
      for (const check of scenario.checks ?? []) {
        expect(Number.isFinite(check.value), `${scenario.name} / ${check.label}`).toBe(true);
        // A time is positive; a difference of two ("p50 added by ...") may not be, on a noisy machine.
        if (check.unit === 'ms' && !check.label.includes('added')) expect(check.value, `${scenario.name} / ${check.label}`).toBeGreaterThan(0);
      }
    }
  });

  it('writes the Markdown table and the SVG chart next to the JSON', () => {
    const markdown = readFileSync(join(dir, 'latest.md'), 'utf8');
    expect(markdown).toMatch(/^# Benchmark results/);
    for (const scenario of report.scenarios) expect(markdown).toContain(scenario.title);
    const svg = readFileSync(join(dir, 'latest.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.trimEnd()).toMatch(/<\/svg>$/);
    expect(existsSync(join(ROOT, 'bench/results/latest.json'))).toBe(true);
  });
});
