import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createBoardsService } from '../boards/index.ts';
import { openForumDb } from '../forum-common/index.ts';
import { createFixtureDb } from '../forum-common/testing.ts';
import { createThreadsService } from './index.ts';
import { fakeLegacyViews, threadPageTestOptions } from './testing.ts';

// Every BMP code point but the surrogates, and a few astral ones, in chunks small enough for one post each.
const CHUNK = 4096;
const everyCharacter = (): string[] => {
  const chunks: string[] = [];
  for (let start = 0; start < 0x10000; start += CHUNK) {
    let text = '';
    for (let c = start; c < start + CHUNK; c++) if (c < 0xd800 || c > 0xdfff) text += String.fromCharCode(c);
    chunks.push(text);
  }
  chunks.push('😀 𝄞 \u{10ffff}');
  return chunks;
};

const fixture = createFixtureDb();
const THREAD = 9;
const writer = new Database(fixture.file);
writer.transaction(() => {
  const texts = everyCharacter();
  writer.prepare("INSERT INTO boards (id, slug, name, description, position) VALUES (9, 'odd', ?, ?, 9)").run(texts[0], texts.at(-1));
  writer
    .prepare("INSERT INTO threads (id, board_id, author_id, title, created_at, last_post_at, post_count, view_count) VALUES (?, 9, 1, ?, 'c', 'l', ?, 0)")
    .run(THREAD, texts[0], texts.length);
  const post = writer.prepare('INSERT INTO posts (thread_id, author_id, body, body_html, created_at) VALUES (?, 1, ?, ?, ?)');
  for (const text of texts) post.run(THREAD, text, [...text].reverse().join(''), text.slice(0, 40));
})();
writer.close();
const db = openForumDb(fixture.file);
const legacy = fakeLegacyViews(fixture.file);
const threads = createThreadsService(db, threadPageTestOptions(legacy)).app;
const boards = createBoardsService(db).app;
afterAll(() => {
  db.close();
  legacy.close();
  fixture.cleanup();
});

// The answers are built by SQLite; JSON.stringify of the same rows is the contract they must match byte for byte.
describe('JSON built by SQLite', () => {
  it('encodes every character of a thread and its posts exactly as JSON.stringify does', async () => {
    const thread = db
      .prepare(
        'SELECT t.id, b.slug, t.title, t.author_id, u.username, t.created_at, t.last_post_at, t.post_count, t.view_count FROM threads t JOIN boards b ON b.id = t.board_id JOIN users u ON u.id = t.author_id WHERE t.id = ?',
      )
      .get(THREAD) as Record<string, string | number>;
    const posts = db
      .prepare(
        'SELECT p.id, p.thread_id, p.author_id, u.username, p.body, p.body_html, p.created_at FROM posts p JOIN users u ON u.id = p.author_id WHERE thread_id = ? ORDER BY p.id',
      )
      .all(THREAD) as Record<string, string | number>[];
    const expected = JSON.stringify({
      thread: {
        id: thread.id,
        board: thread.slug,
        title: thread.title,
        author: { id: thread.author_id, username: thread.username },
        created_at: thread.created_at,
        last_post_at: thread.last_post_at,
        post_count: thread.post_count,
        view_count: thread.view_count,
      },
      posts: posts.map((p) => ({
        id: p.id,
        thread_id: p.thread_id,
        author: { id: p.author_id, username: p.username },
        body: p.body,
        body_html: p.body_html,
        created_at: p.created_at,
      })),
      page: 1,
      per_page: 50,
      total: posts.length,
      pages: 1,
    });
    const res = await threads.request(`/api/v1/threads/${THREAD}`);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(Buffer.from(expected))).toBe(true);
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(expected)));
  });

  it('encodes every board exactly as JSON.stringify does, in board order', async () => {
    const rows = db
      .prepare(
        'SELECT b.id, b.slug, b.name, b.description, COUNT(t.id) AS thread_count, COALESCE(SUM(t.post_count), 0) AS post_count FROM boards b LEFT JOIN threads t ON t.board_id = b.id GROUP BY b.id ORDER BY b.position, b.id',
      )
      .all();
    const res = await boards.request('/api/v1/boards');
    expect(await res.text()).toBe(JSON.stringify({ boards: rows }));
  });

  it('answers an empty posts array for a page past the last', async () => {
    const res = await threads.request(`/api/v1/threads/${THREAD}?page=3`);
    expect(await res.text()).toMatch(/"posts":\[\],"page":3,"per_page":50,"total":17,"pages":1\}$/);
  });
});
