/**
 * The live feed's reads. Every post leaves SQLite as the JSON legacy's feed sends (forum/live.py:
 * post_json with the author's name filled in, keys in that order, `[unknown]` for a missing author),
 * built once per post by SQLite, whatever the number of clients.
 */
import type { ForumDb } from '../forum-common/index.ts';

/** A post as the feed delivers it: where it belongs and its JSON text. */
export interface LivePost {
  readonly id: number;
  readonly thread: number;
  readonly board: string;
  readonly createdAt: string;
  readonly json: string;
}

export interface LiveQueries {
  /** Posts after `afterId` anywhere, oldest first, at most `limit`. */
  postsAfter(afterId: number, limit: number): LivePost[];
  /** The thread's posts in (afterId, upToId], oldest first, at most `limit`. */
  threadPosts(threadId: number, afterId: number, upToId: number, limit: number): LivePost[];
  /** The board's posts (its threads' posts) in (afterId, upToId], oldest first, at most `limit`. */
  boardPosts(boardId: number, afterId: number, upToId: number, limit: number): LivePost[];
  /** The thread's newest post id (0 if none), or undefined when there is no such thread. */
  threadLast(threadId: number): number | undefined;
  /** The board's id and its newest post id (0 if none), or undefined when there is no such board. */
  board(slug: string): { id: number; last: number } | undefined;
  /** The newest post id of the forum (0 if none). */
  lastPostId(): number;
}

const POST_COLUMNS = `p.id, p.thread_id AS thread, b.slug AS board, p.created_at AS createdAt,
  json_object('id', p.id, 'thread_id', p.thread_id,
              'author', json_object('id', p.author_id, 'username', COALESCE(u.username, '[unknown]')),
              'body', p.body, 'body_html', p.body_html, 'created_at', p.created_at) AS json
  FROM posts p
  JOIN threads t ON t.id = p.thread_id
  JOIN boards b ON b.id = t.board_id
  LEFT JOIN users u ON u.id = p.author_id`;

/**
 * @example
 * const queries = prepareLiveQueries(openForumDb(file));
 * queries.threadPosts(12, 340, 360, 100); // posts 341..360 of thread 12
 */
export function prepareLiveQueries(db: ForumDb): LiveQueries {
  const after = db.prepare<[number, number], LivePost>(`SELECT ${POST_COLUMNS} WHERE p.id > ? ORDER BY p.id LIMIT ?`);
  const inThread = db.prepare<[number, number, number, number], LivePost>(`SELECT ${POST_COLUMNS} WHERE p.thread_id = ? AND p.id > ? AND p.id <= ? ORDER BY p.id LIMIT ?`);
  const inBoard = db.prepare<[number, number, number, number], LivePost>(`SELECT ${POST_COLUMNS} WHERE t.board_id = ? AND p.id > ? AND p.id <= ? ORDER BY p.id LIMIT ?`);
  const threadLast = db.prepare<[number], { last: number }>('SELECT (SELECT COALESCE(MAX(id), 0) FROM posts WHERE thread_id = t.id) AS last FROM threads t WHERE t.id = ?');
  const board = db.prepare<[string], { id: number; last: number }>(
    'SELECT b.id, (SELECT COALESCE(MAX(p.id), 0) FROM posts p JOIN threads t ON t.id = p.thread_id WHERE t.board_id = b.id) AS last FROM boards b WHERE b.slug = ?',
  );
  const lastPostId = db.prepare<[], number>('SELECT COALESCE(MAX(id), 0) FROM posts').pluck();
  return {
    postsAfter: (afterId, limit) => after.all(afterId, limit),
    threadPosts: (threadId, afterId, upToId, limit) => inThread.all(threadId, afterId, upToId, limit),
    boardPosts: (boardId, afterId, upToId, limit) => inBoard.all(boardId, afterId, upToId, limit),
    threadLast: (threadId) => threadLast.get(threadId)?.last,
    board: (slug) => board.get(slug),
    lastPostId: () => lastPostId.get() ?? 0,
  };
}
