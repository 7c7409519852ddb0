/**
 * The forum's SQLite file as the TS services see it: the same file legacy writes, opened read-only by
 * the services that only read, and writable only by the owner of a table; every handle waits up to 5 s
 * for a lock.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';

export type ForumDb = Database.Database;

const BUSY_TIMEOUT_MS = 5_000;

/**
 * A read-only handle on the forum database, for services that only read. It never writes, so it never
 * changes the file's journal mode either: legacy puts the file in WAL mode, and the owner's writer
 * ({@link openForumDbForWriting}) does too. Throws with what to do when the file does not exist.
 *
 * @example
 * const db = openForumDb(process.env.FORUM_DB ?? 'data/forum.db');
 */
export function openForumDb(file: string): ForumDb {
  requireFile(file);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return db;
}

/**
 * A handle that writes, for the service that owns a table. Writes run as `BEGIN IMMEDIATE`
 * transactions (better-sqlite3's `.immediate()`), so a writer waits for the lock up front rather than
 * failing half-way; only the owning service's own statements use this handle. The forum's file is
 * shared with legacy, so it is put in WAL mode (readers never block the writer), as legacy does.
 *
 * @example
 * const writer = openForumDbForWriting(process.env.FORUM_DB ?? 'data/forum.db');
 */
export function openForumDbForWriting(file: string): ForumDb {
  requireFile(file);
  const db = new Database(file, { fileMustExist: true });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  return db;
}

const FORUM_TABLES = ['users', 'boards', 'threads', 'posts'] as const;

/**
 * Throw unless the file behind `db` has the forum's tables: a file that is not the forum's is left as it
 * is, never switched to WAL by the writer.
 *
 * @example
 * assertForumSchema(openForumDb(file));
 */
export function assertForumSchema(db: ForumDb): void {
  const present = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
  const missing = FORUM_TABLES.filter((table) => !present.has(table));
  if (missing.length > 0) {
    throw new Error(
      `${db.name} is not the forum's database (it has no table ${missing.join(', ')}); set FORUM_DB to the legacy forum's SQLite file, or create one with: python3 legacy-python/seed.py --db <file> --size tiny`,
    );
  }
}

function requireFile(file: string): void {
  if (!existsSync(file)) {
    throw new Error(
      `the forum database ${file} does not exist; set FORUM_DB to the legacy app's SQLite file, or create one with: python3 legacy-python/seed.py --db ${file} --size tiny`,
    );
  }
}
