/** The threads service's reads, prepared once per database handle. */
import type { ForumDb } from '../forum-common/index.ts';

export interface ThreadRow {
  readonly id: number;
  readonly board: string;
  readonly title: string;
  readonly author_id: number;
  readonly author_username: string;
  readonly created_at: string;
  readonly last_post_at: string;
  readonly post_count: number;
  readonly view_count: number;
}

export interface PostRow {
  readonly id: number;
  readonly thread_id: number;
  readonly author_id: number;
  readonly author_username: string;
  readonly body: string;
  readonly body_html: string;
  readonly created_at: string;
}

/** A thread with the number of its posts, as the API's answer starts. */
export interface ThreadWithTotalRow extends ThreadRow {
  readonly total: number;
}

export interface ThreadQueries {
  thread(id: number): ThreadRow | undefined;
  /** The thread and its post count in one statement, for the API. */
  threadWithTotal(id: number): ThreadWithTotalRow | undefined;
  /**
   * One page of the thread's posts as the API's JSON array, UTF-8 bytes built by SQLite: no row objects,
   * no string decoding and encoding again. SQLite's JSON escaping is JSON.stringify's byte for byte for
   * every code point (valid UTF-8 text, which legacy's Python driver always writes).
   */
  postsJson(threadId: number, limit: number, offset: bigint): Buffer<ArrayBuffer>;
  countPosts(threadId: number): number;
  posts(threadId: number, limit: number, offset: bigint): PostRow[];
}

/**
 * @example
 * const queries = prepareThreadQueries(db);
 * queries.posts(7, 50, 0n);
 */
export function prepareThreadQueries(db: ForumDb): ThreadQueries {
  const thread = db.prepare<[number], ThreadRow>(`
    SELECT t.id, b.slug AS board, t.title, u.id AS author_id, u.username AS author_username,
           t.created_at, t.last_post_at, t.post_count, t.view_count
    FROM threads t JOIN boards b ON b.id = t.board_id JOIN users u ON u.id = t.author_id
    WHERE t.id = ?`);
  const count = db.prepare<[number], { total: number }>('SELECT COUNT(*) AS total FROM posts WHERE thread_id = ?');
  const posts = db.prepare<[number, number, bigint], PostRow>(`
    SELECT p.id, p.thread_id, u.id AS author_id, u.username AS author_username, p.body, p.body_html, p.created_at
    FROM posts p JOIN users u ON u.id = p.author_id
    WHERE p.thread_id = ?
    ORDER BY p.id
    LIMIT ? OFFSET ?`);
  const threadWithTotal = db.prepare<[number], ThreadWithTotalRow>(`
    SELECT t.id, b.slug AS board, t.title, u.id AS author_id, u.username AS author_username,
           t.created_at, t.last_post_at, t.post_count, t.view_count,
           (SELECT COUNT(*) FROM posts WHERE thread_id = t.id) AS total
    FROM threads t JOIN boards b ON b.id = t.board_id JOIN users u ON u.id = t.author_id
    WHERE t.id = ?`);
  // Key order is part of the contract (docs/forum-api.md); json_object keeps its arguments' order. The
  // CAST hands the bytes over as a Buffer, written to the socket as they are.
  const postsJson = db
    .prepare<[number, number, bigint], Buffer<ArrayBuffer>>(
      `
    SELECT CAST(json_group_array(json_object(
             'id', p.id, 'thread_id', p.thread_id, 'author', json_object('id', u.id, 'username', u.username),
             'body', p.body, 'body_html', p.body_html, 'created_at', p.created_at) ORDER BY p.id) AS BLOB)
    FROM (SELECT id, thread_id, author_id, body, body_html, created_at FROM posts
          WHERE thread_id = ? ORDER BY id LIMIT ? OFFSET ?) p
    JOIN users u ON u.id = p.author_id`,
    )
    .pluck();
  return {
    thread: (id) => thread.get(id),
    threadWithTotal: (id) => threadWithTotal.get(id),
    postsJson: (threadId, limit, offset) => postsJson.get(threadId, limit, offset)!,
    countPosts: (threadId) => count.get(threadId)?.total ?? 0,
    // OFFSET as a bigint: page × per_page can pass 2^53 (page 9007199254740991, per_page 200).
    posts: (threadId, limit, offset) => posts.all(threadId, limit, offset),
  };
}
