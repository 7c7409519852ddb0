import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openAuditLog } from './audit.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const entry = (route: string, outcome: 'applied' | 'refused') => ({
  who: 'alice',
  why: `because ${route}`,
  command: `set ${route} next`,
  route,
  diff: '-    mode: legacy\n+    mode: next',
  revisionBefore: '1-aaaaaaaa',
  revisionAfter: outcome === 'applied' ? '2-bbbbbbbb' : null,
  outcome,
  detail: '',
});

describe('the audit log', () => {
  it('keeps every change across openings of its file and lists them newest first, by route when asked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strangler-audit-'));
    dirs.push(dir);
    const file = join(dir, 'state', 'state.db');
    const first = openAuditLog(file);
    first.record(entry('/a', 'applied'));
    first.record(entry('/b', 'refused'));
    first.close();
    const again = openAuditLog(file);
    again.record(entry('/a', 'refused'));
    expect(again.list().map((r) => [r.id, r.route, r.outcome])).toEqual([
      [3, '/a', 'refused'],
      [2, '/b', 'refused'],
      [1, '/a', 'applied'],
    ]);
    expect(again.list({ route: '/a' }).map((r) => r.id)).toEqual([3, 1]);
    expect(again.list()[2]).toMatchObject({ who: 'alice', why: 'because /a', revisionBefore: '1-aaaaaaaa', revisionAfter: '2-bbbbbbbb', diff: entry('/a', 'applied').diff });
    expect(again.list()[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT/);
    again.close();
  });
});
