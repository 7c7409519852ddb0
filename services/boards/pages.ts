/**
 * The home page (`GET /`, every board) and a board's page (`GET /b/<slug>?page&per_page`, its threads
 * newest activity first), as legacy's forum/pages.py boards_page and board_page render them: legacy's own
 * templates, the same escaping, the same error pages. Starting a thread (`POST /b/<slug>/new`) has not
 * moved: a GET there gets legacy's 405.
 */
import type { Context, Hono } from 'hono';
import type { ServiceEnv } from '../../gateway/server/index.ts';
import { ApiError, createForumPageKit, joinFragments, NO_FORUM_CACHE, parsePaging, urlPart, type ForumCache, type ForumPageOptions } from '../forum-common/index.ts';
import type { BoardQueries } from './queries.ts';

const THREADS_PER_PAGE_DEFAULT = 20;
const THREADS_PER_PAGE_MAX = 100;

/**
 * A path segment as legacy's WSGI server hands it over: %-escapes decoded to bytes, the bytes read as
 * UTF-8 with U+FFFD for what is not (forum/web.py `_decode_path`), which Hono's decoding does not do.
 *
 * @example
 * decodeSegment('caf%C3%A9'); // 'café'
 * decodeSegment('%FF'); // '\uFFFD'
 */
export function decodeSegment(segment: string): string {
  const bytes = Buffer.from(
    segment.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  );
  return new TextDecoder('utf-8').decode(bytes);
}

const slugOf = (c: Context): string => decodeSegment(new URL(c.req.url).pathname.slice('/b/'.length));

/** Mount `GET /` and `GET /b/<slug>` (HEAD answered by Hono from the same handlers) and the 405 of `GET /b/<slug>/new`. */
export function mountBoardPages(app: Hono<ServiceEnv>, queries: BoardQueries, options: ForumPageOptions, cache: ForumCache = NO_FORUM_CACHE): void {
  const { templates, pages } = options;
  const kit = createForumPageKit(options);
  // Guests' pages come from the cache until a new thread or post in the board (or any board, for the home page).
  app.use(
    '/',
    cache.route('home-page', () => ['boards']),
  );
  app.use(
    '/b/:slug',
    cache.route('board-page', (c) => [`board:${slugOf(c)}`]),
  );

  app.get('/', (c) =>
    kit.answer(async () => {
      const { viewer, csrf } = await kit.viewerOf(c);
      const rows = queries.listBoards().map((board) => templates.fragment('board_row', { ...board, slug_url: urlPart(board.slug) }));
      return templates.page('Boards', templates.fragment('boards', { rows: joinFragments(rows) }), viewer, csrf);
    }),
  );

  app.get('/b/:slug', (c: Context<ServiceEnv>) => {
    // The gateway passes an encoded slash on as it came (%2F); legacy's WSGI server decodes it before its
    // router sees the path, where `/b/<slug>` then matches no route: the same generic 404 here.
    if (/%2f/i.test(new URL(c.req.url).pathname)) return pages.notFound(c);
    return kit.answer(async () => {
      const { page, perPage } = parsePaging(c.req.url, THREADS_PER_PAGE_DEFAULT, THREADS_PER_PAGE_MAX);
      const { viewer, csrf } = await kit.viewerOf(c);
      const slug = slugOf(c);
      const board = queries.board(slug);
      if (board === undefined) throw new ApiError(404, 'not_found', `board '${slug}' does not exist`);
      const total = queries.countThreads(board.id);
      const offset = BigInt(page - 1) * BigInt(perPage);
      const threads = offset >= BigInt(total) ? [] : queries.threads(board.id, perPage, offset);
      const rows = threads.map(({ author_username, ...thread }) => templates.fragment('thread_row', { ...thread, author: author_username }));
      const slugUrl = urlPart(slug);
      const form = viewer
        ? templates.fragment('new_thread_form', { slug_url: slugUrl, csrf })
        : templates.fragment('login_hint', { next_url: `/b/${slugUrl}`, action: 'start a thread' });
      const content = templates.fragment('board', {
        name: board.name,
        description: board.description,
        rows: joinFragments(rows),
        pager: templates.pager(`/b/${slugUrl}`, page, Math.max(1, Math.ceil(total / perPage))),
        form,
      });
      return templates.page(board.name, content, viewer, csrf);
    });
  });
  // legacy's router: starting a thread takes POST only (which the route table sends to legacy).
  app.all('/b/:slug/new', (c) => pages.htmlError(405, `method ${c.req.method} is not allowed here; use POST`, { allow: 'POST' }));
}
