/**
 * The HTML thread page, `GET /t/<id>?page&per_page`, as legacy's forum/pages.py thread_page renders it:
 * the same templates (legacy's own files), the same escaping, the same error pages. The threads table is
 * legacy's, so a view is counted by legacy (`POST /_internal/legacy/threads/<id>/views`) before the
 * thread is read; HEAD counts nothing. Replying (`POST /t/<id>/reply`) has not moved.
 */
import type { Context, Hono } from 'hono';
import { InternalCallError, type InternalCaller } from '../../gateway/internal/index.ts';
import type { Logger } from '../../gateway/log/index.ts';
import type { ServiceEnv } from '../../gateway/server/index.ts';
import {
  ApiError,
  cookieValue,
  CSRF_COOKIE,
  joinFragments,
  LEGACY_TEMPLATES_DIR,
  loadForumTemplates,
  Markup,
  parseId,
  urlPart,
  type ForumPages,
  type ForumTemplates,
  type PageViewer,
} from '../forum-common/index.ts';
import { sessionUser, type SessionResolver } from '../sessions/index.ts';
import { pageOfPosts, parseThreadPaging } from './paging.ts';
import type { PostRow, ThreadQueries, ThreadRow } from './queries.ts';

// legacy-python/forum/internal.py's UNAVAILABLE wording.
const unavailable = (what: string): string => `${what} is not answering right now; try again in a moment.`;
export const viewsPath = (threadId: number): string => `/_internal/legacy/threads/${threadId}/views`;

/** What one thread page shows. */
export interface ThreadPageData {
  readonly thread: ThreadRow;
  readonly posts: readonly PostRow[];
  readonly page: number;
  readonly pages: number;
  /** The signed-in viewer, or null for a guest (who gets a login hint instead of the reply form). */
  readonly viewer: PageViewer | null;
  /** The forum_csrf cookie's value, put into the logout and reply forms. */
  readonly csrf: string;
}

/**
 * The page's HTML from legacy's templates, without any I/O: what the handler sends as the body.
 *
 * @example
 * const render = createThreadPageRenderer(loadForumTemplates('legacy-python/forum/templates'));
 * render({ thread, posts, page: 1, pages: 3, viewer: null, csrf: '' }); // '<!doctype html>…\n'
 */
export function createThreadPageRenderer(templates: ForumTemplates): (data: ThreadPageData) => string {
  return ({ thread, posts, page, pages, viewer, csrf }) => {
    const rendered = posts.map((post) =>
      templates.fragment('post', { id: post.id, author: post.author_username, created_at: post.created_at, body_html: new Markup(post.body_html) }),
    );
    const form = viewer
      ? templates.fragment('reply_form', { id: thread.id, csrf })
      : templates.fragment('login_hint', { next_url: `/t/${thread.id}`, action: 'reply' });
    const content = templates.fragment('thread', {
      board: thread.board,
      board_url: urlPart(thread.board),
      title: thread.title,
      post_count: thread.post_count,
      view_count: thread.view_count,
      live_url: `/live/t/${thread.id}`,
      posts: joinFragments(rendered),
      pager: templates.pager(`/t/${thread.id}`, page, pages),
      form,
    });
    return templates.page(thread.title, content, viewer, csrf);
  };
}

let defaultRenderer: ((data: ThreadPageData) => string) | undefined;

/**
 * {@link createThreadPageRenderer} on legacy's template directory, loaded on first use: for benchmarks
 * and tests that time rendering alone.
 *
 * @example
 * renderThreadPage({ thread, posts, page: 1, pages: 1, viewer: { username: 'alice' }, csrf: 'abc' });
 */
export const renderThreadPage = (data: ThreadPageData): string => (defaultRenderer ??= createThreadPageRenderer(loadForumTemplates(LEGACY_TEMPLATES_DIR)))(data);

export interface ThreadPageOptions {
  readonly templates: ForumTemplates;
  readonly pages: ForumPages;
  /** Legacy's internal endpoints (createInternalCaller): the view count. */
  readonly legacy: InternalCaller;
  readonly sessions: SessionResolver;
  /** A user of the users table (this side's), or undefined. */
  readonly findUser: (id: number) => PageViewer | undefined;
  readonly logger: Logger;
}

/** A failed call to legacy: the 503 page's wording, after the log line. */
class Unavailable extends Error {}

/**
 * Mount `GET /t/<id>` (HEAD answered by Hono from the same handler, with an empty body) and the 405 of
 * `GET /t/<id>/reply`.
 */
export function mountThreadPage(app: Hono<ServiceEnv>, queries: ThreadQueries, options: ThreadPageOptions): void {
  const { pages, legacy, sessions, findUser, logger } = options;
  const render = createThreadPageRenderer(options.templates);

  /** Log one line naming the failed call; the 503 page says who is not answering. */
  const unavailableAfter = (c: Context<ServiceEnv>, call: string, kind: string, message: string, what: string): Unavailable => {
    logger.error({ event: 'internal_call_failed', request_id: c.env?.requestId, call, kind, err: message }, message);
    return new Unavailable(unavailable(what));
  };

  /** Whether legacy found the thread to count the view on. */
  const countView = async (c: Context<ServiceEnv>, threadId: number): Promise<boolean> => {
    try {
      await legacy.post<{ view_count: number }>(viewsPath(threadId), {}, { requestId: c.env?.requestId });
      return true;
    } catch (err) {
      if (!(err instanceof InternalCallError)) throw err;
      if (err.kind === 'not_found') return false;
      throw unavailableAfter(c, `legacy threads/${threadId}/views`, err.kind, err.message, 'The thread service');
    }
  };

  const viewerOf = async (c: Context<ServiceEnv>): Promise<PageViewer | null> => {
    try {
      return await sessionUser(sessions, c.req.header('cookie'), c.env?.requestId, findUser);
    } catch (err) {
      if (!(err instanceof InternalCallError)) throw err;
      throw unavailableAfter(c, 'legacy sessions/resolve', err.kind, err.message, 'The session service');
    }
  };

  app.get('/t/:id', async (c) => {
    try {
      const id = parseId(c.req.param('id'), 'thread');
      const { page, perPage } = parseThreadPaging(c.req.url);
      // Viewing counts; HEAD only asks about the page.
      const counted = c.req.method === 'GET' ? await countView(c, id) : true;
      const viewer = await viewerOf(c);
      const thread = queries.thread(id);
      if (thread === undefined) throw new ApiError(404, 'not_found', `thread ${id} does not exist`);
      if (!counted) {
        // Legacy said 404 for a thread this side can read: its endpoint is missing (no token set there?).
        const message = `legacy answered 404 for the views of thread ${id}, which exists; is STRANGLER_INTERNAL_TOKEN set on legacy?`;
        throw unavailableAfter(c, `legacy threads/${id}/views`, 'not_found', message, 'The thread service');
      }
      const { posts, pages } = pageOfPosts(queries, id, page, perPage);
      const html = render({ thread, posts, page, pages, viewer, csrf: cookieValue(c.req.header('cookie'), CSRF_COOKIE) ?? '' });
      return new Response(html, {
        headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(html)) },
      });
    } catch (err) {
      if (err instanceof ApiError) return pages.htmlError(err.status, err.message);
      if (err instanceof Unavailable) return pages.htmlError(503, err.message);
      throw err;
    }
  });
  // legacy's router: the reply path takes POST only (which the route table sends to legacy).
  app.all('/t/:id/reply', (c) => pages.htmlError(405, `method ${c.req.method} is not allowed here; use POST`, { allow: 'POST' }));
}
