import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { tailNginxFallbacks, type NginxFallbackTailer } from './fallback-tailer.ts';

const line = (route: string, fallback: boolean, upstreamStatus = '502, 200'): string =>
  `${JSON.stringify({ event: 'access', route, backend: fallback ? 'legacy' : 'ts', status: 200, failure: null, fallback: fallback ? 'legacy' : null, upstream_status: upstreamStatus })}\n`;

describe('tailNginxFallbacks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strangler-tailer-'));
  let tailer: NginxFallbackTailer | undefined;
  afterEach(async () => {
    await tailer?.stop();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records the fallbacks written after it started, with why, and never the lines of an earlier run', async () => {
    const file = join(dir, 'access.log');
    writeFileSync(file, line('/old', true));
    const seen: string[] = [];
    tailer = tailNginxFallbacks({ file, record: (route, reason) => seen.push(`${route} ${reason}`), pollMs: 10 });
    appendFileSync(file, line('/b', true) + line('/b', false) + line('/t', true, '504, 200'));
    // Half a line now, the rest later: counted once, when whole.
    const half = line('/api', true);
    appendFileSync(file, half.slice(0, 20));
    await expect.poll(() => seen).toEqual(['/b ts-unreachable', '/t ts-timeout']);
    appendFileSync(file, half.slice(20));
    await expect.poll(() => seen).toEqual(['/b ts-unreachable', '/t ts-timeout', '/api ts-unreachable']);
  });

  it('reads a rotated file from its start', async () => {
    const file = join(dir, 'rotated.log');
    writeFileSync(file, line('/a', true).repeat(3));
    const seen: string[] = [];
    tailer = tailNginxFallbacks({ file, record: (route) => seen.push(route), pollMs: 10 });
    renameSync(file, `${file}.1`);
    writeFileSync(file, line('/new', true));
    await expect.poll(() => seen).toEqual(['/new']);
  });
});
