/** The users table, owned by this service: its reads and its one write, prepared once. */
import type { ForumDb } from '../forum-common/index.ts';

export interface UserRow {
  readonly id: number;
  readonly username: string;
  readonly created_at: string;
}

export interface UserQueries {
  byId(id: number): UserRow | undefined;
  byUsername(username: string): UserRow | undefined;
  byIds(ids: readonly number[]): UserRow[];
  passwordHash(username: string): { readonly id: number; readonly password_hash: string } | undefined;
  /** The new user's row, or undefined when the username is taken (in any letter case). */
  insert(username: string, passwordHash: string, createdAt: string): UserRow | undefined;
}

/**
 * @example
 * const users = prepareUserQueries(openForumDbForWriting('data/forum.db'));
 * users.byUsername('ALICE'); // { id: 1, username: 'alice', created_at: '…' }
 */
export function prepareUserQueries(db: ForumDb): UserQueries {
  const byId = db.prepare<[number], UserRow>('SELECT id, username, created_at FROM users WHERE id = ?');
  // The column is COLLATE NOCASE, so this is the same case-insensitive match legacy's login made.
  const byUsername = db.prepare<[string], UserRow>('SELECT id, username, created_at FROM users WHERE username = ?');
  const byIds = db.prepare<[string], UserRow>('SELECT id, username, created_at FROM users WHERE id IN (SELECT value FROM json_each(?))');
  const passwordHash = db.prepare<[string], { id: number; password_hash: string }>('SELECT id, password_hash FROM users WHERE username = ?');
  const insert = db.prepare<[string, string, string]>('INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  // IMMEDIATE takes the write lock up front, so a busy database waits (busy_timeout) instead of failing mid-way.
  const insertTransaction = db.transaction((username: string, hash: string, createdAt: string) => {
    const result = insert.run(username, hash, createdAt);
    return result.changes === 1 ? byId.get(Number(result.lastInsertRowid)) : undefined;
  });
  return {
    byId: (id) => byId.get(id),
    byUsername: (username) => byUsername.get(username),
    byIds(ids) {
      const found = new Map(byIds.all(JSON.stringify(ids)).map((row) => [row.id, row]));
      return ids.flatMap((id) => found.get(id) ?? []);
    },
    passwordHash: (username) => passwordHash.get(username),
    insert: (username, hash, createdAt) => insertTransaction.immediate(username, hash, createdAt),
  };
}
