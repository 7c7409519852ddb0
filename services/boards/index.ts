/**
 * `GET /api/v1/boards`: every board with its thread and post counts, as docs/forum-api.md shows it;
 * `GET /api/v1/boards/<slug>/threads`: a page of one board's threads (threads-api.ts); and
 * the HTML home page `GET /` and board page `GET /b/<slug>` (pages.ts) when the composition gives it the
 * page collaborators. Other methods on the API path get legacy's 405; the rest of the prefix is the
 * forum's 404.
 */
import { Hono } from 'hono';
import { defineService, type PublicService, type ServiceEnv } from '../../gateway/server/index.ts';
import { apiJsonEncoded, forumErrors, methodNotAllowed, NO_FORUM_CACHE, type ForumCache, type ForumDb, type ForumPageOptions } from '../forum-common/index.ts';
import { mountBoardPages } from './pages.ts';
import { prepareBoardQueries } from './queries.ts';
import { mountBoardThreads } from './threads-api.ts';

export { decodeSegment } from './pages.ts';

// legacy's router lists HEAD with GET in Allow.
const BOARDS_ALLOW = ['GET', 'HEAD'] as const;

/**
 * @example
 * const boards = createBoardsService(openForumDb('data/forum.db'), { templates, pages, sessions, findUser, logger });
 * await boards.app.request('/api/v1/boards'); // 200 {"boards":[…]}
 * await boards.app.request('/b/general?page=2'); // 200 the HTML board page
 * // with createForumCache(...) as a third argument, guests' answers are cached (services/forum-common/cache.ts)
 */
export function createBoardsService(db: ForumDb, pageOptions?: ForumPageOptions, cache: ForumCache = NO_FORUM_CACHE): PublicService {
  const queries = prepareBoardQueries(db);
  const app = new Hono<ServiceEnv>();
  app.onError(forumErrors);
  // Every board's counts: any new thread or post changes them.
  app.use(
    '/api/v1/boards',
    cache.route('boards-api', () => ['boards']),
  );
  app.get('/api/v1/boards', () => apiJsonEncoded(queries.boardsJson()));
  app.all('/api/v1/boards', (c) => {
    throw methodNotAllowed(c.req.method, BOARDS_ALLOW);
  });
  mountBoardThreads(app, db, cache);
  if (pageOptions) mountBoardPages(app, queries, pageOptions, cache);
  return defineService({ name: 'boards', app, cache: cache.front(['boards-api', 'board-threads-api', 'home-page', 'board-page']) });
}
