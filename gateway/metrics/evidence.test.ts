import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AggregatorRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTOMATIC, openAuditLog } from '../control/audit.ts';
import { openEvidence, type EvidenceRecorder } from '../evidence/index.ts';
import { createMetrics, type GatewayMetrics } from './index.ts';

const dirs: string[] = [];
const opened: GatewayMetrics[] = [];
afterEach(() => {
  opened.splice(0).forEach((m) => m.close());
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

const sample = (text: string, name: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
};

/** A recorder that records nothing: the metrics are what is looked at. */
const quiet: EvidenceRecorder = { request() {}, shadow() {}, comparison() {}, noiseCheck() {}, fallback() {}, flush() {}, close() {} };

function stateFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strangler-metrics-'));
  dirs.push(dir);
  return join(dir, 'state.db');
}

/** What the cluster primary answers a scrape with: every worker's metrics, merged by each metric's aggregator. */
async function clusterText(workers: GatewayMetrics[]): Promise<string> {
  return AggregatorRegistry.aggregate(await Promise.all(workers.map((w) => w.registry.getMetricsAsJSON()))).metrics();
}

describe('the traffic modes metrics with two workers', () => {
  it('sums what each worker counted, and reads demotions and front-door fallbacks from the state file once, not once per worker', async () => {
    const file = stateFile();
    const audit = openAuditLog(file);
    const entry = { who: AUTOMATIC, why: 'TS errors', route: '/items', diff: '', revisionBefore: '1-a', revisionAfter: '2-b', outcome: 'applied' as const, detail: '' };
    audit.record({ ...entry, command: 'demote /items legacy' });
    audit.record({ ...entry, command: 'demote /items legacy', outcome: 'failed' });
    audit.record({ ...entry, who: 'alice', command: 'rollback /items' });
    audit.close();
    const store = openEvidence(file);
    const recorder = store.recorder();
    for (let i = 0; i < 3; i++) recorder.fallback('/items', 'edge', 'connect');
    recorder.fallback('/items', 'nginx', 'http_502');
    recorder.fallback('/items', 'ts', 'threw');
    recorder.flush();
    store.close();

    const workers = [createMetrics({ stateFile: file }), createMetrics({ stateFile: file })];
    opened.push(...workers);
    const [one, two] = workers.map((w) => w.countEvidence(quiet));
    one!.comparison('/items', '2-b', 'match', []);
    one!.comparison('/items', '2-b', 'mismatch', []);
    two!.comparison('/items', '2-b', 'match', []);
    two!.shadow('/items', 'dropped-concurrency');
    one!.noiseCheck('/items', []);

    const text = await clusterText(workers);
    expect(sample(text, 'strangler_comparisons_total{route="/items",outcome="match"}')).toBe(2);
    expect(sample(text, 'strangler_comparisons_total{route="/items",outcome="mismatch"}')).toBe(1);
    expect(sample(text, 'strangler_shadow_copies_total{route="/items",event="dropped-concurrency"}')).toBe(1);
    expect(sample(text, 'strangler_noise_checks_total{route="/items",differed="no"}')).toBe(1);
    expect(sample(text, 'strangler_demotions_total{route="/items",to="legacy"}')).toBe(1);
    expect(sample(text, 'strangler_front_door_fallbacks_total{route="/items",door="edge"}')).toBe(3);
    expect(sample(text, 'strangler_front_door_fallbacks_total{route="/items",door="nginx"}')).toBe(1);
    expect(text).not.toMatch(/strangler_front_door_fallbacks_total\{route="\/items",door="ts"\}/);
  });

  it('passes every event on to the recorder it wraps', () => {
    const seen: string[] = [];
    const metrics = createMetrics();
    opened.push(metrics);
    const recorder = metrics.countEvidence({
      request: (route) => seen.push(`request ${route}`),
      shadow: (route, event) => seen.push(`shadow ${route} ${event}`),
      comparison: (route, _revision, outcome) => seen.push(`comparison ${route} ${outcome}`),
      noiseCheck: (route) => seen.push(`noise ${route}`),
      fallback: (route, door) => seen.push(`fallback ${route} ${door}`),
      flush: () => seen.push('flush'),
      close: () => seen.push('close'),
    });
    recorder.request('/a', 'ts', 200, 1, false);
    recorder.shadow('/a', 'sent', 2, 200);
    recorder.comparison('/a', '1-a', 'noise', []);
    recorder.noiseCheck('/a', []);
    recorder.fallback('/a', 'ts', 'threw');
    recorder.flush();
    recorder.close();
    expect(seen).toEqual(['request /a', 'shadow /a sent', 'comparison /a noise', 'noise /a', 'fallback /a ts', 'flush', 'close']);
  });

  it('answers a scrape without a state file to read, leaving those counts empty', async () => {
    // A directory path that runs through a regular file cannot be created, whoever runs the test.
    const blocked = join(stateFile(), 'state.db');
    writeFileSync(join(blocked, '..'), 'not a directory');
    const metrics = createMetrics({ stateFile: blocked });
    opened.push(metrics);
    expect(await metrics.text()).not.toMatch(/^strangler_demotions_total\{/m);
  });
});
