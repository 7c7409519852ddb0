/**
 * The audit log: every change a `strangler` command makes (or tries), in the gateway's own SQLite state
 * file (`<STRANGLER_STATE_DIR>/state.db`), never the app's database: who, when, why, the command, the
 * diff of routes.yaml, the revision before and after, and the outcome. Nothing secret goes in: the
 * command is recorded as the words typed, and no environment.
 *
 * @example
 * const audit = openAuditLog('.strangler/state.db');
 * audit.record({ who: 'alice', why: 'GET moved', command: 'set /api/v1/me next', route: '/api/v1/me', diff, revisionBefore: '3-…', revisionAfter: '4-…', outcome: 'applied', detail: '' });
 * audit.list({ route: '/api/v1/me' }); // newest first
 */
import { openStateDb } from './state-db.ts';

export const AUDIT_OUTCOMES = ['applied', 'not applied', 'refused', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditEntry {
  readonly who: string;
  readonly why: string;
  readonly command: string;
  /** The route the command named; null for a command about the whole table (reload). */
  readonly route: string | null;
  readonly diff: string;
  readonly revisionBefore: string | null;
  readonly revisionAfter: string | null;
  /** applied: every process serves it; not applied: no running stack, the file alone changed; refused: nothing changed; failed: see detail. */
  readonly outcome: AuditOutcome;
  readonly detail: string;
}

export interface AuditRecord extends AuditEntry {
  readonly id: number;
  /** ISO 8601, UTC. */
  readonly at: string;
}

export interface AuditLog {
  record(entry: AuditEntry): AuditRecord;
  /** Newest first. */
  list(filter?: { route?: string; limit?: number }): AuditRecord[];
  close(): void;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  who TEXT NOT NULL,
  why TEXT NOT NULL,
  command TEXT NOT NULL,
  route TEXT,
  diff TEXT NOT NULL,
  revision_before TEXT,
  revision_after TEXT,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL
)`;

type Row = {
  id: number;
  at: string;
  who: string;
  why: string;
  command: string;
  route: string | null;
  diff: string;
  revision_before: string | null;
  revision_after: string | null;
  outcome: AuditOutcome;
  detail: string;
};

export function openAuditLog(file: string): AuditLog {
  const db = openStateDb(file);
  db.exec(SCHEMA);
  const insert = db.prepare(
    'INSERT INTO audit_log (at, who, why, command, route, diff, revision_before, revision_after, outcome, detail) VALUES (@at, @who, @why, @command, @route, @diff, @revisionBefore, @revisionAfter, @outcome, @detail)',
  );
  const toRecord = (row: Row): AuditRecord => ({
    id: row.id,
    at: row.at,
    who: row.who,
    why: row.why,
    command: row.command,
    route: row.route,
    diff: row.diff,
    revisionBefore: row.revision_before,
    revisionAfter: row.revision_after,
    outcome: row.outcome,
    detail: row.detail,
  });
  return {
    record(entry) {
      const at = new Date().toISOString();
      const { lastInsertRowid } = insert.run({ ...entry, at });
      return { ...entry, id: Number(lastInsertRowid), at };
    },
    list({ route, limit = 50 } = {}) {
      const rows =
        route === undefined
          ? db.prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?').all(limit)
          : db.prepare('SELECT * FROM audit_log WHERE route = ? ORDER BY id DESC LIMIT ?').all(route, limit);
      return (rows as Row[]).map(toRecord);
    },
    close: () => db.close(),
  };
}
