/**
 * `GET /api/v1/boards/<slug>/threads?page&per_page`: one page of a board's threads, newest activity
 * first, with the board and the paging figures, byte for byte as legacy's forum/api.py list_threads
 * answers it. Starting a thread (POST on the same path) stays legacy's: the route table moves GET only.
 */
import type { Context, Hono } from 'hono';
import type { ServiceEnv } from '../../gateway/server/index.ts';
import { ApiError, apiJsonEncoded, NO_FORUM_CACHE, parsePaging, type ForumCache, type ForumDb } from '../forum-common/index.ts';
import { decodeSegment } from './pages.ts';
import type { BoardRow } from './queries.ts';

// legacy: parse_paging(request.query, 20, 100)
const THREADS_PER_PAGE_DEFAULT = 20;
const THREADS_PER_PAGE_MAX = 100;
const PATH = /^\/api\/v1\/boards\/([^/]+)\/threads$/;

interface ThreadListRow {
  readonly id: number;
  readonly board: string;
  readonly title: string;
  readonly author_id: number;
  readonly author_username: string | null;
  readonly created_at: string;
  readonly last_post_at: string;
  readonly post_count: number;
  readonly view_count: number;
}

/** The slug as legacy's router sees it: the raw path segment, percent-decoded as forum/web.py does. */
const slugOf = (c: Context): string => decodeSegment(PATH.exec(new URL(c.req.url).pathname)?.[1] ?? '');

/**
 * Mount the board's thread list on `app`.
 *
 * @example
 * mountBoardThreads(app, db);
 * await app.request('/api/v1/boards/help/threads?per_page=2'); // 200 {"board":{…},"threads":[…],"page":1,"per_page":2,"total":6,"pages":3}
 */
export function mountBoardThreads(app: Hono<ServiceEnv>, db: ForumDb, cache: ForumCache = NO_FORUM_CACHE): void {
  const board = db.prepare<[string], BoardRow>(`
    SELECT b.id, b.slug, b.name, b.description, COUNT(t.id) AS thread_count, COALESCE(SUM(t.post_count), 0) AS post_count
    FROM boards b LEFT JOIN threads t ON t.board_id = b.id
    WHERE b.slug = ? GROUP BY b.id`);
  const threads = db.prepare<[number, number, bigint], ThreadListRow>(`
    SELECT t.id, b.slug AS board, t.title, t.author_id, u.username AS author_username, t.created_at, t.last_post_at, t.post_count, t.view_count
    FROM threads t JOIN boards b ON b.id = t.board_id LEFT JOIN users u ON u.id = t.author_id
    WHERE t.board_id = ?
    ORDER BY t.last_post_at DESC, t.id DESC
    LIMIT ? OFFSET ?`);

  app.use(
    '/api/v1/boards/:slug/threads',
    cache.route('board-threads-api', (c) => [`board:${slugOf(c)}`]),
  );
  app.get('/api/v1/boards/:slug/threads', (c) => {
    // legacy checks the paging before it looks the board up.
    const { page, perPage } = parsePaging(c.req.url, THREADS_PER_PAGE_DEFAULT, THREADS_PER_PAGE_MAX);
    const slug = slugOf(c);
    const found = board.get(slug);
    if (found === undefined) throw new ApiError(404, 'not_found', `board '${slug}' does not exist`);
    const { id, ...shown } = found;
    const offset = BigInt(page - 1) * BigInt(perPage);
    const rows = offset >= BigInt(found.thread_count) ? [] : threads.all(id, perPage, offset);
    // Key order is the contract's (docs/forum-api.md), as legacy's dicts are built.
    const body = {
      board: { id, ...shown },
      threads: rows.map((row) => ({
        id: row.id,
        board: row.board,
        title: row.title,
        author: { id: row.author_id, username: row.author_username ?? '[unknown]' },
        created_at: row.created_at,
        last_post_at: row.last_post_at,
        post_count: row.post_count,
        view_count: row.view_count,
      })),
      page,
      per_page: perPage,
      total: found.thread_count,
      pages: Math.max(1, Math.ceil(found.thread_count / perPage)),
    };
    return apiJsonEncoded(JSON.stringify(body));
  });
}
