import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openAuditLog } from '../control/audit.ts';
import { openEvidence, type Difference, type EvidenceOptions, type EvidenceStore, type Sample } from './index.ts';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

const dirs: string[] = [];
const stores: EvidenceStore[] = [];
afterEach(() => {
  stores.splice(0).forEach((store) => store.close());
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

function fixture(options: EvidenceOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'strangler-evidence-'));
  dirs.push(dir);
  const file = join(dir, 'state', 'state.db');
  const clock = { ms: T0 };
  const warnings: string[] = [];
  const store = openEvidence(file, { now: () => clock.ms, warn: (m) => warnings.push(m), ...options });
  stores.push(store);
  return { file, clock, store, warnings, recorder: store.recorder() };
}

const rowsIn = (file: string, table: string): number => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  } finally {
    db.close();
  }
};

const difference = (classKey: string, path = classKey): Difference => ({ kind: 'body-json', path, classKey, legacy: '"a"', ts: '"b"' });

const sample = (overrides: Partial<Sample['request']['headers']> = {}): Sample => ({
  request: { method: 'GET', target: '/api/v1/threads/1', headers: { cookie: 'session=[redacted]', accept: 'application/json', ...overrides } },
  legacy: { status: 200, headers: { 'content-type': 'application/json', 'set-cookie': 'a=[redacted]; Path=/, b=[redacted]' }, body: '{"title":"a"}' },
  ts: { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"title":"b"}') },
});

describe('the evidence recorder', () => {
  it('writes nothing until it flushes, then writes every sum in one go', () => {
    const { file, recorder, store } = fixture({ flushIntervalMs: 3_600_000 });
    for (let i = 0; i < 50; i++) recorder.request('/a', 'legacy', 200, 5, false);
    recorder.shadow('/a', 'sent', 7);
    recorder.comparison('/a', 'r1', 'match', []);
    expect(rowsIn(file, 'evidence_counts')).toBe(0);
    expect(rowsIn(file, 'evidence_comparisons')).toBe(0);
    expect(store.window('/a', T0).sides.legacy.requests).toBe(0);
    recorder.flush();
    const evidence = store.window('/a', T0);
    expect(evidence.sides.legacy.requests).toBe(50);
    expect(evidence.shadow.sent).toBe(1);
    expect(evidence.comparisons.total).toBe(1);
  });

  it('flushes on its own about once a second', async () => {
    const { recorder, store } = fixture({ now: Date.now, flushIntervalMs: 50 });
    recorder.request('/a', 'ts', 200, 3, false);
    await expect.poll(() => store.window('/a', Date.now() - MINUTE).sides.ts.requests, { timeout: 10_000 }).toBe(1);
  });

  it('adds flushes and recorders of the same minute together and keeps each minute apart', () => {
    const { clock, store, recorder } = fixture();
    const other = store.recorder();
    recorder.request('/a', 'ts', 200, 3, false);
    other.request('/a', 'ts', 503, 3, false);
    recorder.flush();
    recorder.request('/a', 'ts', 200, 3, true);
    recorder.flush();
    other.flush();
    clock.ms = T0 + 2 * MINUTE;
    recorder.request('/a', 'ts', 200, 3, false);
    recorder.flush();
    expect(store.window('/a', T0, T0 + 59_999).sides.ts).toMatchObject({ requests: 3, errors: 2 });
    expect(store.window('/a', T0 + MINUTE, T0 + 2 * MINUTE).sides.ts).toMatchObject({ requests: 1, errors: 0 });
    const all = store.window('/a', T0 + 30_000);
    expect(all.sides.ts.requests).toBe(4);
    expect([all.since, all.until]).toEqual([T0, T0 + 3 * MINUTE]);
    expect(store.window('/b', T0).sides.ts.requests).toBe(0);
  });

  it('keeps the sums of a failed flush for the next one, and writes them once', () => {
    const { file, recorder, store } = fixture();
    recorder.request('/a', 'legacy', 200, 3, false);
    const saboteur = new Database(file);
    saboteur.exec("CREATE TRIGGER refuse BEFORE INSERT ON evidence_counts BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    expect(() => recorder.flush()).toThrow(/disk full/);
    expect(store.window('/a', T0).sides.legacy.requests).toBe(0);
    saboteur.exec('DROP TRIGGER refuse');
    saboteur.close();
    recorder.request('/a', 'legacy', 200, 3, false);
    recorder.flush();
    recorder.flush();
    expect(store.window('/a', T0).sides.legacy.requests).toBe(2);
    expect(store.window('/a', T0).sides.legacy.p50Ms).toBeCloseTo(3, 0);
  });

  it('counts shadow events, fallbacks by door and reason, and noise checks with noisy and stable paths', () => {
    const { recorder, store } = fixture();
    for (const event of ['sent', 'sent', 'dropped-concurrency', 'skipped-sample', 'skipped-method', 'too-large', 'failed'] as const)
      recorder.shadow('/a', event, event === 'sent' ? 10 : undefined);
    recorder.fallback('/a', 'edge', 'connect');
    recorder.fallback('/a', 'edge', 'connect');
    recorder.fallback('/a', 'ts', 'handler:threw');
    recorder.noiseCheck('/a', [difference('body-json /generated_at'), difference('body-json /generated_at')], ['body-json /title', 'body-json /title']);
    recorder.noiseCheck('/a', [difference('body-json /generated_at')], ['body-json /title', 'header etag']);
    recorder.flush();
    const evidence = store.window('/a', T0);
    expect(evidence.shadow).toMatchObject({ sent: 2, droppedConcurrency: 1, skippedSample: 1, skippedMethod: 1, tooLarge: 1, failed: 1 });
    expect(evidence.shadow.p50Ms).toBeCloseTo(10, 0);
    expect(evidence.fallbacks).toEqual({ total: 3, byDoor: { edge: 2, ts: 1 }, byReason: { 'edge connect': 2, 'ts handler:threw': 1 } });
    expect(evidence.noise).toEqual({
      checks: 2,
      noisyPaths: [{ classKey: 'body-json /generated_at', count: 2 }],
      stablePaths: [
        { classKey: 'body-json /title', count: 2 },
        { classKey: 'header etag', count: 1 },
      ],
    });
    expect(store.routes()).toEqual(['/a']);
  });
});

describe('comparisons and mismatch classes', () => {
  it('counts outcomes with the Wilson bounds and groups mismatches by class, once per comparison', () => {
    const { clock, recorder, store } = fixture();
    for (let i = 0; i < 96; i++) recorder.comparison('/a', 'r1', 'match', []);
    recorder.comparison('/a', 'r1', 'noise', [difference('body-json /generated_at')]);
    for (let i = 0; i < 3; i++) {
      clock.ms = T0 + i * 1000;
      recorder.comparison(
        '/a',
        'r2',
        'mismatch',
        [
          difference('body-json /posts/*/title', `/posts/${i}/title`),
          difference('body-json /posts/*/title', `/posts/${i + 1}/title`),
          { ...difference('header content-type'), kind: 'header', path: 'content-type' },
        ],
        sample(),
      );
    }
    recorder.flush();
    const { comparisons } = store.window('/a', T0);
    expect(comparisons).toMatchObject({ total: 100, matches: 96, mismatches: 3, noise: 1, mismatchRate: 0.03 });
    expect(comparisons.lowerBound).toBeCloseTo(0.0103, 4);
    expect(comparisons.upperBound).toBeCloseTo(0.0845, 4);
    const classes = store.classes('/a');
    expect(classes.map((c) => [c.classKey, c.kind, c.count])).toEqual([
      ['body-json /posts/*/title', 'body-json', 3],
      ['header content-type', 'header', 3],
    ]);
    expect(classes[0]).toMatchObject({ path: '/posts/0/title', firstSeen: T0, lastSeen: T0 + 2000 });
    expect(classes[0]!.samples).toHaveLength(3);
    expect(classes[0]!.samples[0]).toMatchObject({
      revision: 'r2',
      request: { method: 'GET', target: '/api/v1/threads/1', headers: { cookie: 'session=[redacted]' } },
      legacy: { status: 200, body: '{"title":"a"}', bodyTruncated: false },
      ts: { body: '{"title":"b"}', bodyTruncated: false },
    });
  });

  it('keeps at most 3 samples per class across flushes and processes, and cuts bodies to 4 KiB on a character boundary', () => {
    const { recorder, store } = fixture();
    const big: Sample = { ...sample(), ts: { status: 500, headers: {}, body: 'é'.repeat(3000) } };
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) recorder.comparison('/a', 'r1', 'mismatch', [difference('status')], big);
      recorder.flush();
    }
    const [only] = store.classes('/a');
    expect(only!.count).toBe(12);
    expect(only!.samples).toHaveLength(3);
    const body = only!.samples[0]!.ts;
    expect(body.bodyTruncated).toBe(true);
    expect(Buffer.byteLength(body.body)).toBe(4096);
    expect(body.body).toBe('é'.repeat(2048));
  });

  it('refuses a sample that still holds a cookie, authorization or set-cookie value, and still counts the mismatch', () => {
    const { recorder, store, warnings } = fixture();
    recorder.comparison('/a', 'r1', 'mismatch', [difference('status')], sample({ cookie: 'session=abc123' }));
    recorder.comparison('/a', 'r1', 'mismatch', [difference('status')], { ...sample(), ts: { status: 200, headers: { 'Set-Cookie': 'session=x; HttpOnly' }, body: '' } });
    recorder.comparison('/a', 'r1', 'mismatch', [difference('status')], sample({ authorization: 'Bearer secret' }));
    recorder.comparison('/a', 'r1', 'mismatch', [difference('status')], sample({ 'proxy-authorization': 'Basic eA==' }));
    recorder.comparison('/a', 'r1', 'mismatch', [difference('status')], sample({ cookie: 'session=def456' }));
    recorder.flush();
    const [only] = store.classes('/a');
    expect(only!.count).toBe(5);
    expect(only!.samples).toEqual([]);
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(/refused a sample for \/a: request cookie not redacted/);
    expect(warnings[1]).toMatch(/ts set-cookie/);
    expect(JSON.stringify(store.classes('/a'))).not.toMatch(/abc123|def456|secret|session=x/);
  });

  it('caps the classes of a route, counting the rest in one "other" class', () => {
    const { recorder, store } = fixture({ maxClassesPerRoute: 5 });
    for (let i = 0; i < 4; i++) recorder.comparison('/a', 'r1', 'mismatch', [difference(`body-json /k${i}`)], sample());
    recorder.flush();
    for (let i = 4; i < 9; i++) recorder.comparison('/a', 'r1', 'mismatch', [difference(`body-json /k${i}`)], sample());
    recorder.comparison('/a', 'r1', 'mismatch', [difference('body-json /k0')]);
    recorder.flush();
    recorder.comparison('/b', 'r1', 'mismatch', [difference('body-json /k9')]);
    recorder.flush();
    const classes = store.classes('/a');
    expect(classes).toHaveLength(6);
    expect(classes.find((c) => c.classKey === 'other')).toMatchObject({ kind: 'other', count: 4 });
    expect(classes.find((c) => c.classKey === 'other')!.samples.length).toBeLessThanOrEqual(3);
    expect(classes.find((c) => c.classKey === 'body-json /k0')!.count).toBe(2);
    expect(store.classes('/b').map((c) => c.classKey)).toEqual(['body-json /k9']);
  });

  it('counts classes only in the asked window', () => {
    const { clock, recorder, store } = fixture();
    recorder.comparison('/a', 'r1', 'mismatch', [difference('status')]);
    recorder.flush();
    clock.ms = T0 + 10 * MINUTE;
    recorder.comparison('/a', 'r1', 'mismatch', [difference('status'), difference('header etag')]);
    recorder.flush();
    expect(store.classes('/a', T0 + 5 * MINUTE).map((c) => [c.classKey, c.count])).toEqual([
      ['header etag', 1],
      ['status', 1],
    ]);
    expect(store.classes('/a').find((c) => c.classKey === 'status')!.count).toBe(2);
  });
});

describe('bounded growth', () => {
  it('prunes minutes, classes and samples older than the retention on a flush, at most once an hour', () => {
    const { file, clock, recorder, store } = fixture({ retentionDays: 1 });
    const at = (hours: number) => {
      clock.ms = T0 + hours * 3_600_000;
      recorder.request('/a', 'legacy', 200, 3, false);
      recorder.flush();
      return store.window('/a', 0).sides.legacy.requests;
    };
    recorder.comparison('/a', 'r1', 'mismatch', [difference('status')], sample());
    expect(at(0)).toBe(1); // prunes: nothing is old
    expect(at(0.5)).toBe(2);
    expect(at(24.25)).toBe(2); // prunes before T0 + 0.25 h: the first minute, its class and sample go
    expect(store.classes('/a')).toEqual([]);
    expect(rowsIn(file, 'evidence_samples')).toBe(0);
    expect(rowsIn(file, 'evidence_classes')).toBe(0);
    expect(at(24.75)).toBe(3); // half an hour after the last prune: none, so the T0 + 0.5 h minute stays
    expect(at(25.35)).toBe(3); // over an hour: prunes it
    expect(store.window('/a', T0, T0 + 3_600_000).sides.legacy.requests).toBe(0);
  });

  it('refuses settings that cannot work, naming each', () => {
    expect(() => fixture({ retentionDays: 0, samplesPerClass: 1.5 })).toThrow(
      /retentionDays must be a positive number, got 0; samplesPerClass must be a positive whole number, got 1.5/,
    );
  });
});

describe('the state file', () => {
  it('holds the audit log and the evidence side by side', () => {
    const { file, recorder, store } = fixture();
    const audit = openAuditLog(file);
    audit.record({ who: 'alice', why: 'try', command: 'promote /a', route: '/a', diff: '', revisionBefore: null, revisionAfter: null, outcome: 'refused', detail: '' });
    recorder.request('/a', 'ts', 200, 3, false);
    recorder.flush();
    expect(audit.list()).toHaveLength(1);
    expect(store.window('/a', T0).sides.ts.requests).toBe(1);
    audit.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });
});
