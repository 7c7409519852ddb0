/**
 * The audit log: every change a `strangler` command makes (or tries), in the gateway's own SQLite state
 * file (`<STRANGLER_STATE_DIR>/state.db`), never the app's database: who, when, why, the command, the
 * diff of routes.yaml, the revision before and after, the outcome, and the route's evidence at the time
 * (the gate's verdict when the change was a gated step). Nothing secret goes in: the command is recorded
 * as the words typed, and no environment.
 *
 * @example
 * const audit = openAuditLog('.strangler/state.db');
 * audit.record({ who: 'alice', why: 'GET moved', command: 'set /api/v1/me next', route: '/api/v1/me', diff, revisionBefore: '3-…', revisionAfter: '4-…', outcome: 'applied', detail: '' });
 * audit.list({ route: '/api/v1/me' }); // newest first
 */
import type { CheckOutcome, GateStep, RouteEvidence } from '../evidence/index.ts';
import { openStateDb } from './state-db.ts';

/** Who the automatic demoter (gateway/control/demoter.ts) writes into the log. */
export const AUTOMATIC = 'strangler (automatic)';

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
  /** What the route's evidence said when the change was made; null for a change about no one route. */
  readonly evidence?: AuditEvidence | null;
}

/** The evidence an audit entry carries: the window read, its one-line summary, and the gate's verdict for a gated step. */
export interface AuditEvidence {
  readonly summary: string;
  readonly window: RouteEvidence;
  /** The step the gate judged (promote, demotion), its verdict and reasons. */
  readonly step?: GateStep;
  readonly verdict?: CheckOutcome;
  readonly reasons?: readonly string[];
  /** Set when the step was taken against a verdict other than pass (`--force --why`). */
  readonly forced?: boolean;
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
  detail TEXT NOT NULL,
  evidence TEXT
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
  evidence: string | null;
};

export function openAuditLog(file: string): AuditLog {
  const db = openStateDb(file);
  db.exec(SCHEMA);
  // A state file written before entries carried evidence gains the column; its old entries have none.
  if (!(db.prepare('PRAGMA table_info(audit_log)').all() as { name: string }[]).some((column) => column.name === 'evidence')) {
    db.exec('ALTER TABLE audit_log ADD COLUMN evidence TEXT');
  }
  const insert = db.prepare(
    'INSERT INTO audit_log (at, who, why, command, route, diff, revision_before, revision_after, outcome, detail, evidence) VALUES (@at, @who, @why, @command, @route, @diff, @revisionBefore, @revisionAfter, @outcome, @detail, @evidence)',
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
    evidence: row.evidence === null ? null : (JSON.parse(row.evidence) as AuditEvidence),
  });
  return {
    record(entry) {
      const at = new Date().toISOString();
      const evidence = entry.evidence ?? null;
      const { lastInsertRowid } = insert.run({ ...entry, at, evidence: evidence === null ? null : JSON.stringify(evidence) });
      return { ...entry, evidence, id: Number(lastInsertRowid), at };
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
