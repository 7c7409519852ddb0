/**
 * Opens the gateway's own SQLite state file (`<STRANGLER_STATE_DIR>/state.db`): the audit log and the
 * evidence store keep their tables in it. Several processes write it at once (every TS worker, the edge,
 * the control process), so it is in WAL mode and a writer waits up to 5 s for another's lock instead of
 * failing at once. The directory is created (mode 0700: it holds request samples) when missing.
 *
 * @example
 * const db = openStateDb('.strangler/state.db');
 * db.exec('CREATE TABLE IF NOT EXISTS my_table (...)');
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';

/** The state file's name in the gateway's state directory (STRANGLER_STATE_DIR). */
export const STATE_FILE = 'state.db';

/**
 * The state file in a state directory: where every process finds the audit log and the evidence.
 *
 * @example
 * stateFileIn(config.stateDir); // '/srv/app/.strangler/state.db'
 */
export const stateFileIn = (stateDir: string): string => join(stateDir, STATE_FILE);
export const STATE_DB_BUSY_TIMEOUT_MS = 5000;

export function openStateDb(file: string): Database.Database {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${STATE_DB_BUSY_TIMEOUT_MS}`);
  return db;
}
