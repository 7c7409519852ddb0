/**
 * `GET /api/v1/threads/<id>?page&per_page`: a thread with one page of its posts, as docs/forum-api.md
 * shows it; and the HTML thread page `GET /t/<id>` (page.ts). Replying (`POST /api/v1/threads/<id>/posts`,
 * `POST /t/<id>/reply`) has not moved: the route table sends POST to legacy, and a GET on those paths
 * gets legacy's 405.
 */
import { Hono } from 'hono';
import { defineService, type PublicService, type ServiceEnv } from '../../gateway/server/index.ts';
import { ApiError, apiJsonEncoded, forumErrors, methodNotAllowed, NO_FORUM_CACHE, parseId, type ForumCache, type ForumDb } from '../forum-common/index.ts';
import { mountThreadPage, threadTags, type ThreadPageOptions } from './page.ts';
import { pageCount, parseThreadPaging } from './paging.ts';
import { prepareThreadQueries, type ThreadRow } from './queries.ts';

export {
  createThreadPageParts,
  createThreadPageRenderer,
  renderThreadPage,
  type ThreadPageData,
  type ThreadPageOptions,
  type ThreadPageParts,
  type ThreadPageShell,
} from './page.ts';
export { createViewCounter, VIEWS_BATCH_PATH, VIEWS_FLUSH_INTERVAL_MS, type ViewCounter, type ViewCounterOptions, type ViewsBatchAnswer } from './views.ts';
export type { PostRow, ThreadRow } from './queries.ts';

const EMPTY_ARRAY = Buffer.from('[]');
// legacy's router lists HEAD with GET in Allow.
const THREAD_ALLOW = ['GET', 'HEAD'] as const;

/**
 * @example
 * const threads = createThreadsService(openForumDb('data/forum.db'), { templates, pages, views, sessions, findUser, logger });
 * await threads.app.request('/api/v1/threads/1?page=2'); // 200 {"thread":{…},"posts":[…],"page":2,…}
 * await threads.app.request('/t/1'); // 200 the HTML page, its view counted (sent to legacy within a second)
 */
export function createThreadsService(db: ForumDb, page: ThreadPageOptions, cache: ForumCache = NO_FORUM_CACHE): PublicService {
  const queries = prepareThreadQueries(db);
  const app = new Hono<ServiceEnv>();
  app.onError(forumErrors);
  const personalPage = mountThreadPage(app, queries, page, cache);
  app.use('/api/v1/threads/:id', cache.route('thread-api', threadTags));

  app.get('/api/v1/threads/:id', (c) => {
    const id = parseId(c.req.param('id'), 'thread');
    const { page, perPage } = parseThreadPaging(c.req.url);
    const thread = queries.threadWithTotal(id);
    if (thread === undefined) throw new ApiError(404, 'not_found', `thread ${id} does not exist`);
    const { total } = thread;
    const offset = BigInt(page - 1) * BigInt(perPage);
    const posts = offset >= BigInt(total) ? EMPTY_ARRAY : queries.postsJson(id, perPage, offset);
    // The posts arrive as JSON bytes from SQLite; the rest is spelled out around them.
    const head = `{"thread":${JSON.stringify(threadJson(thread))},"posts":`;
    const tail = `,"page":${page},"per_page":${perPage},"total":${total},"pages":${pageCount(total, perPage)}}`;
    return apiJsonEncoded(Buffer.concat([Buffer.from(head), posts, Buffer.from(tail)]));
  });
  app.all('/api/v1/threads/:id', (c) => {
    throw methodNotAllowed(c.req.method, THREAD_ALLOW);
  });
  app.all('/api/v1/threads/:id/posts', (c) => {
    throw methodNotAllowed(c.req.method, ['POST']);
  });
  return defineService({ name: 'threads', app, cache: cache.front(['thread-page', 'thread-api'], personalPage) });
}

// Key order is part of the contract: this builder spells it out (queries.ts's postsJson for the posts).
const threadJson = (row: ThreadRow) => ({
  id: row.id,
  board: row.board,
  title: row.title,
  author: { id: row.author_id, username: row.author_username },
  created_at: row.created_at,
  last_post_at: row.last_post_at,
  post_count: row.post_count,
  view_count: row.view_count,
});
