import { describe, expect, it } from 'vitest';
import { accessRecord, type AccessInput } from '../access/index.ts';
import { createMetrics } from './index.ts';

const record = (overrides: Partial<AccessInput> = {}) =>
  accessRecord({
    requestId: 'r',
    method: 'GET',
    path: '/p',
    route: '/p',
    revision: '1-00c0ffee',
    backend: 'ts',
    status: 200,
    durationMs: 12,
    bytesIn: 1,
    bytesOut: 1,
    ...overrides,
  });

/** The value of one sample line of the exposition text, or undefined when there is none. */
const sample = (text: string, name: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
};

describe('createMetrics', () => {
  it('counts requests by route, backend and status', async () => {
    const metrics = createMetrics();
    for (let i = 0; i < 3; i++) metrics.observe(record());
    metrics.observe(record({ backend: 'legacy', status: 404 }));
    const text = await metrics.text();
    expect(sample(text, 'strangler_requests_total{route="/p",backend="ts",status="200"}')).toBe(3);
    expect(sample(text, 'strangler_requests_total{route="/p",backend="legacy",status="404"}')).toBe(1);
  });

  it('labels a request answered before routing with route and backend none', async () => {
    const metrics = createMetrics();
    metrics.observe(record({ route: null, revision: null, backend: null, status: 400 }));
    expect(sample(await metrics.text(), 'strangler_requests_total{route="none",backend="none",status="400"}')).toBe(1);
  });

  it('puts each duration in the latency histogram of its backend', async () => {
    const metrics = createMetrics();
    metrics.observe(record({ durationMs: 3 }));
    metrics.observe(record({ durationMs: 700 }));
    const text = await metrics.text();
    expect(sample(text, 'strangler_request_duration_seconds_bucket{le="0.005",backend="ts"}')).toBe(1);
    expect(sample(text, 'strangler_request_duration_seconds_bucket{le="1",backend="ts"}')).toBe(2);
    expect(sample(text, 'strangler_request_duration_seconds_count{backend="ts"}')).toBe(2);
  });

  it('counts proxy failures by kind and nothing for a request without one', async () => {
    const metrics = createMetrics();
    metrics.observe(record());
    metrics.observe(record({ backend: 'legacy', status: 502, failure: 'upstream-unreachable' }));
    metrics.observe(record({ backend: 'legacy', status: 504, failure: 'upstream-timeout' }));
    const text = await metrics.text();
    expect(sample(text, 'strangler_proxy_failures_total{kind="upstream-unreachable"}')).toBe(1);
    expect(sample(text, 'strangler_proxy_failures_total{kind="upstream-timeout"}')).toBe(1);
    expect(text.match(/^strangler_proxy_failures_total\{/gm)).toHaveLength(2);
  });

  it('counts reloads applied and refused, both present from the start', async () => {
    const metrics = createMetrics();
    expect(sample(await metrics.text(), 'strangler_table_reloads_total{result="refused"}')).toBe(0);
    metrics.tableReloaded('applied');
    metrics.tableReloaded('refused');
    metrics.tableReloaded('refused');
    const text = await metrics.text();
    expect(sample(text, 'strangler_table_reloads_total{result="applied"}')).toBe(1);
    expect(sample(text, 'strangler_table_reloads_total{result="refused"}')).toBe(2);
  });

  it('keeps two instances apart (each process, and each test, counts its own)', async () => {
    const one = createMetrics();
    const two = createMetrics();
    one.observe(record());
    expect(sample(await two.text(), 'strangler_requests_total{route="/p",backend="ts",status="200"}')).toBeUndefined();
  });
});
