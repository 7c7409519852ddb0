/**
 * The forum's SQLite file as the TS services see it: the same file legacy writes, opened read-only in
 * intent (`query_only`), in WAL mode so readers never block the writer, and waiting up to 5 s for a lock.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';

export type ForumDb = Database.Database;

const BUSY_TIMEOUT_MS = 5_000;

/**
 * Open the forum database. Throws with what to do when the file does not exist.
 *
 * @example
 * const db = openForumDb(process.env.FORUM_DB ?? 'data/forum.db');
 */
export function openForumDb(file: string): ForumDb {
  const db = openShared(file);
  // Set last: switching to WAL is itself a write. From here on any write attempt is an error.
  db.pragma('query_only = ON');
  return db;
}

/**
 * A second handle for a service that owns a table and writes it. Writes run as `BEGIN IMMEDIATE`
 * transactions (better-sqlite3's `.immediate()`), so a writer waits for the lock up front rather than
 * failing half-way; only the owning service's own statements use this handle.
 *
 * @example
 * const writer = openForumDbForWriting(process.env.FORUM_DB ?? 'data/forum.db');
 */
export function openForumDbForWriting(file: string): ForumDb {
  return openShared(file);
}

function openShared(file: string): ForumDb {
  if (!existsSync(file)) {
    throw new Error(`the forum database ${file} does not exist; set FORUM_DB to the legacy app's SQLite file, or create one with: python3 legacy-python/seed.py --db ${file} --size tiny`);
  }
  const db = new Database(file, { fileMustExist: true });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  return db;
}
