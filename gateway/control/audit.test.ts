import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
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

  it('keeps the evidence of an entry, and adds the column to a state file written before entries had it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strangler-audit-'));
    dirs.push(dir);
    const file = join(dir, 'state.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, who TEXT NOT NULL, why TEXT NOT NULL, command TEXT NOT NULL,
      route TEXT, diff TEXT NOT NULL, revision_before TEXT, revision_after TEXT, outcome TEXT NOT NULL, detail TEXT NOT NULL)`);
    old
      .prepare("INSERT INTO audit_log (at, who, why, command, route, diff, outcome, detail) VALUES ('2026-01-01T00:00:00Z', 'bob', 'old', 'set / next', '/', '', 'applied', '')")
      .run();
    old.close();
    const audit = openAuditLog(file);
    const evidence = {
      summary: 'parity 100.0% (n=3, ub 56.1%)',
      window: { route: '/a' } as never,
      step: 'canary' as const,
      verdict: 'inconclusive' as const,
      reasons: ['inconclusive: 3 comparisons of the 400 needed'],
      forced: true,
    };
    audit.record({ ...entry('/a', 'applied'), evidence });
    expect(audit.list().map((r) => [r.who, r.evidence])).toEqual([
      ['alice', evidence],
      ['bob', null],
    ]);
    audit.close();
  });
});
