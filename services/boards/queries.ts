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

export interface BoardQueries {
  listBoards(): BoardRow[];
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
  return { listBoards: () => list.all() };
}
