/**
 * A small forum database for the services' unit tests, built from legacy's own schema.sql: two users,
 * three boards (one empty), three threads, one of them long enough to page through.
 *
 * @example
 * const fixture = createFixtureDb();
 * const db = openForumDb(fixture.file);
 * // …
 * db.close(); fixture.cleanup();
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const SCHEMA = resolve(fileURLToPath(new URL('../../legacy-python/forum/schema.sql', import.meta.url)));

/** Posts in the long thread (id 1): more than one page at the default 50. */
export const LONG_THREAD_POSTS = 120;

export function createFixtureDb(): { file: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'forum-fixture-'));
  const file = join(dir, 'forum.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(readFileSync(SCHEMA, 'utf8'));
  const at = (minute: number): string => new Date(Date.UTC(2026, 0, 2, 3, minute, 5)).toISOString().replace('.000Z', 'Z');
  db.transaction(() => {
    const user = db.prepare('INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, ?, ?)');
    user.run(1, 'alice', 'pbkdf2_sha256$1$x$y', at(0));
    user.run(2, 'bob', 'pbkdf2_sha256$1$x$y', at(0));
    const board = db.prepare('INSERT INTO boards (id, slug, name, description, position) VALUES (?, ?, ?, ?, ?)');
    board.run(1, 'general', 'General', 'Anything goes — café, 日本, "quotes"', 1);
    board.run(2, 'meta', 'Meta', 'About the forum', 0);
    board.run(3, 'empty', 'Empty', '', 2);
    const thread = db.prepare('INSERT INTO threads (id, board_id, author_id, title, created_at, last_post_at, post_count, view_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const post = db.prepare('INSERT INTO posts (thread_id, author_id, body, body_html, created_at) VALUES (?, ?, ?, ?, ?)');
    thread.run(1, 1, 1, 'A long thread ✓', at(1), at(59), LONG_THREAD_POSTS, 7);
    for (let i = 1; i <= LONG_THREAD_POSTS; i++) post.run(1, (i % 2) + 1, `post ${i} <b>`, `<p>post ${i} &lt;b&gt;</p>`, at(Math.min(59, i)));
    thread.run(2, 1, 2, 'Short', at(2), at(3), 2, 0);
    post.run(2, 2, 'hello\n\n"world" \u2028 \t', '<p>hello</p>\n<p>"world"</p>', at(2));
    post.run(2, 1, 'reply', '<p>reply</p>', at(3));
    thread.run(3, 2, 1, 'Meta thread', at(4), at(4), 1, 3);
    post.run(3, 1, 'meta', '<p>meta</p>', at(4));
  })();
  db.close();
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
