/**
 * `GET /api/v1/boards`: every board with its thread and post counts, as docs/forum-api.md shows it; and
 * the HTML home page `GET /` and board page `GET /b/<slug>` (pages.ts) when the composition gives it the
 * page collaborators. Other methods on the API path get legacy's 405; the rest of the prefix is the
 * forum's 404.
 */
import { Hono } from 'hono';
import { defineService, type PublicService, type ServiceEnv } from '../../gateway/server/index.ts';
import { apiJsonEncoded, forumErrors, methodNotAllowed, type ForumDb, type ForumPageOptions } from '../forum-common/index.ts';
import { mountBoardPages } from './pages.ts';
import { prepareBoardQueries } from './queries.ts';

export { decodeSegment } from './pages.ts';

// legacy's router lists HEAD with GET in Allow.
const BOARDS_ALLOW = ['GET', 'HEAD'] as const;

/**
 * @example
 * const boards = createBoardsService(openForumDb('data/forum.db'), { templates, pages, sessions, findUser, logger });
 * await boards.app.request('/api/v1/boards'); // 200 {"boards":[…]}
 * await boards.app.request('/b/general?page=2'); // 200 the HTML board page
 */
export function createBoardsService(db: ForumDb, pageOptions?: ForumPageOptions): PublicService {
  const queries = prepareBoardQueries(db);
  const app = new Hono<ServiceEnv>();
  app.onError(forumErrors);
  app.get('/api/v1/boards', () => apiJsonEncoded(queries.boardsJson()));
  app.all('/api/v1/boards', (c) => {
    throw methodNotAllowed(c.req.method, BOARDS_ALLOW);
  });
  if (pageOptions) mountBoardPages(app, queries, pageOptions);
  return defineService({ name: 'boards', app });
}
