/** The boards service's reads, prepared once per database handle. */
import type { ForumDb } from '../forum-common/index.ts';

export interface BoardRow {
  readonly id: number;
  readonly slug: string;
  readonly name: string;
  readonly description: string;
  readonly thread_count: number;
  readonly post_count: number;
}

/** A thread as a board page lists it. */
export interface BoardThreadRow {
  readonly id: number;
  readonly title: string;
  readonly author_username: string;
  readonly last_post_at: string;
  readonly post_count: number;
  readonly view_count: number;
}

export interface BoardQueries {
  listBoards(): BoardRow[];
  /** `{"boards":[…]}` as the API answers it, UTF-8 bytes built by SQLite (its JSON escaping is JSON.stringify's). */
  boardsJson(): Buffer<ArrayBuffer>;
  /** The board with this exact slug, or undefined. */
  board(slug: string): Pick<BoardRow, 'id' | 'slug' | 'name' | 'description'> | undefined;
  countThreads(boardId: number): number;
  /** One page of a board's threads, newest activity first (legacy's store.board_threads order). */
  threads(boardId: number, limit: number, offset: bigint): BoardThreadRow[];
}

/**
 * @example
 * const queries = prepareBoardQueries(db);
 * queries.listBoards(); // [{ id: 1, slug: 'general', … }]
 */
export function prepareBoardQueries(db: ForumDb): BoardQueries {
  const list = db.prepare<[], BoardRow>(`
    SELECT b.id, b.slug, b.name, b.description,
           COUNT(t.id) AS thread_count, COALESCE(SUM(t.post_count), 0) AS post_count
    FROM boards b LEFT JOIN threads t ON t.board_id = b.id
    GROUP BY b.id
    ORDER BY b.position, b.id`);
  // Key order is part of the contract (docs/forum-api.md); json_object keeps its arguments' order.
  const boardsJson = db
    .prepare<[], Buffer<ArrayBuffer>>(
      `
    SELECT CAST(json_object('boards', json_group_array(json_object(
             'id', id, 'slug', slug, 'name', name, 'description', description,
             'thread_count', thread_count, 'post_count', post_count) ORDER BY position, id)) AS BLOB)
    FROM (SELECT b.id, b.slug, b.name, b.description, b.position,
                 COUNT(t.id) AS thread_count, COALESCE(SUM(t.post_count), 0) AS post_count
          FROM boards b LEFT JOIN threads t ON t.board_id = b.id
          GROUP BY b.id)`,
    )
    .pluck();
  const board = db.prepare<[string], Pick<BoardRow, 'id' | 'slug' | 'name' | 'description'>>('SELECT id, slug, name, description FROM boards WHERE slug = ?');
  const count = db.prepare<[number], { total: number }>('SELECT COUNT(*) AS total FROM threads WHERE board_id = ?');
  const threads = db.prepare<[number, number, bigint], BoardThreadRow>(`
    SELECT t.id, t.title, u.username AS author_username, t.last_post_at, t.post_count, t.view_count
    FROM threads t JOIN users u ON u.id = t.author_id
    WHERE t.board_id = ?
    ORDER BY t.last_post_at DESC, t.id DESC
    LIMIT ? OFFSET ?`);
  return {
    listBoards: () => list.all(),
    boardsJson: () => boardsJson.get()!,
    board: (slug) => board.get(slug),
    countThreads: (boardId) => count.get(boardId)?.total ?? 0,
    // OFFSET as a bigint: page × per_page can pass 2^53.
    threads: (boardId, limit, offset) => threads.all(boardId, limit, offset),
  };
}
