/**
 * The HTML thread page, `GET /t/<id>?page&per_page`, as legacy's forum/pages.py thread_page renders it:
 * the same templates (legacy's own files), the same escaping, the same error pages. The threads table is
 * legacy's: a GET counts a view in memory, sent to legacy in batches (views.ts), never a call while the
 * page is answered; HEAD counts nothing. Replying (`POST /t/<id>/reply`) has not moved.
 */
import { isShadowRequest } from '../../gateway/shadow/index.ts';
import type { Context, Hono } from 'hono';
import { VARY, type CacheFront } from '../../gateway/cache/index.ts';
import type { ServiceEnv } from '../../gateway/server/index.ts';
import {
  ApiError,
  createForumPageKit,
  joinFragments,
  LEGACY_TEMPLATES_DIR,
  loadForumTemplates,
  Markup,
  NO_FORUM_CACHE,
  parseId,
  positiveInteger,
  urlPart,
  type ForumCache,
  type ForumPageOptions,
  type ForumTemplates,
  type PageRequestViewer,
  type PageViewer,
} from '../forum-common/index.ts';
import { pageOfPosts, parseThreadPaging } from './paging.ts';
import type { PostRow, ThreadQueries, ThreadRow } from './queries.ts';
import { pageAroundCount, withViewCount, type PageAroundCount } from './page-around-count.ts';
import type { ViewCounter } from './views.ts';

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
 * A thread page with its posts already rendered (a fragment the cache may have kept). Its view count may
 * be Markup: the mark where a kept page's count goes (page-around-count.ts).
 */
export type ThreadPageShell = Omit<ThreadPageData, 'posts' | 'thread'> & {
  readonly thread: Omit<ThreadRow, 'view_count'> & { readonly view_count: number | Markup };
  readonly postsMarkup: Markup;
};

/** The thread page in two parts: its posts (the same for every viewer) and the page around them. */
export interface ThreadPageParts {
  posts(posts: readonly PostRow[]): Markup;
  page(shell: ThreadPageShell): string;
}

/**
 * @example
 * const parts = createThreadPageParts(loadForumTemplates('legacy-python/forum/templates'));
 * parts.page({ thread, postsMarkup: parts.posts(posts), page: 1, pages: 3, viewer: null, csrf: '' });
 */
export function createThreadPageParts(templates: ForumTemplates): ThreadPageParts {
  return {
    posts: (posts) =>
      joinFragments(
        posts.map((post) => templates.fragment('post', { id: post.id, author: post.author_username, created_at: post.created_at, body_html: new Markup(post.body_html) })),
      ),
    page({ thread, postsMarkup, page, pages, viewer, csrf }) {
      const form = viewer ? templates.fragment('reply_form', { id: thread.id, csrf }) : templates.fragment('login_hint', { next_url: `/t/${thread.id}`, action: 'reply' });
      const content = templates.fragment('thread', {
        board: thread.board,
        board_url: urlPart(thread.board),
        title: thread.title,
        post_count: thread.post_count,
        view_count: thread.view_count,
        live_url: `/live/t/${thread.id}`,
        posts: postsMarkup,
        pager: templates.pager(`/t/${thread.id}`, page, pages),
        form,
      });
      return templates.page(thread.title, content, viewer, csrf);
    },
  };
}

/**
 * The page's HTML from legacy's templates, without any I/O: what the handler sends as the body.
 *
 * @example
 * const render = createThreadPageRenderer(loadForumTemplates('legacy-python/forum/templates'));
 * render({ thread, posts, page: 1, pages: 3, viewer: null, csrf: '' }); // '<!doctype html>…\n'
 */
export function createThreadPageRenderer(templates: ForumTemplates): (data: ThreadPageData) => string {
  const parts = createThreadPageParts(templates);
  return ({ posts, ...rest }) => parts.page({ ...rest, postsMarkup: parts.posts(posts) });
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

/** The cache tags of a thread's answers: `thread:<id>` with the id as the handler reads it (`/t/012` is thread 12). */
export const threadTags = (c: Context): string[] => {
  const id = positiveInteger(c.req.param('id') ?? '');
  return id === null ? [] : [`thread:${id}`];
};

export interface ThreadPageOptions extends ForumPageOptions {
  /** Where a view is counted: in memory, sent to legacy in batches (views.ts). */
  readonly views: Pick<ViewCounter, 'record' | 'unflushed'>;
}

/**
 * Mount `GET /t/<id>` (HEAD answered by Hono from the same handler, with an empty body) and the 405 of
 * `GET /t/<id>/reply`. Returns the look-up that answers a signed-in viewer's page before routing, the same
 * page with the same header lines, for the service's cache front (`ForumCache.front`).
 */
export function mountThreadPage(app: Hono<ServiceEnv>, queries: ThreadQueries, options: ThreadPageOptions, cache: ForumCache = NO_FORUM_CACHE): CacheFront['lookup'] {
  const { pages, views } = options;
  const parts = createThreadPageParts(options.templates);
  const kit = createForumPageKit(options);

  // A guest's page from the cache still counts its view (only a 200 is cached: the thread exists). The
  // count it shows is the one it was rendered with: at most the cache's TTL old.
  app.use(
    '/t/:id',
    cache.route('thread-page', threadTags, (c) => {
      const id = positiveInteger(c.req.param('id') ?? '');
      if (id === null) return undefined;
      return (clientMethod) => {
        if (clientMethod === 'GET') views.record(id);
      };
    }),
  );

  // The posts are the same for every viewer: rendered once, reused by guests and signed-in users alike
  // until the thread changes (or the cache's TTL passes), under the post count just read.
  const render = (id: number, stored: ThreadRow, page: number, perPage: number, { viewer, csrf }: PageRequestViewer, viewCount: number | Markup): string => {
    const { postsMarkup, pages: pageCount } = cache.reuse(
      `thread-posts ${id} ${stored.post_count} ${page} ${perPage}`,
      [`thread:${id}`],
      (kept) => kept.postsMarkup.html.length * 2,
      () => {
        const { posts, pages } = pageOfPosts(queries, id, page, perPage);
        return { postsMarkup: parts.posts(posts), pages };
      },
    );
    return parts.page({ thread: { ...stored, view_count: viewCount }, postsMarkup, page, pages: pageCount, viewer, csrf });
  };

  // The page is the same for everyone who sees the same thread version, page and navigation, but for its
  // view count: kept cut around the count, per viewer and csrf value (the key holds both, so no viewer is
  // ever sent another's page), until the thread changes (or the cache's TTL passes). The key holds the
  // thread's row as just read, so a reply is on its author's next page even before legacy's notification
  // has landed.
  const pageOf = (id: number, stored: ThreadRow, page: number, perPage: number, who: PageRequestViewer, viewCount: number): string | Buffer<ArrayBuffer> => {
    const key = JSON.stringify(['thread-page', id, stored.post_count, stored.title, stored.board, page, perPage, who.viewer?.username ?? null, who.csrf]);
    const around = cache.reuse<PageAroundCount | null>(
      key,
      [`thread:${id}`],
      (kept) => key.length * 2 + (kept ? kept.before.length + kept.after.length : 0),
      () => pageAroundCount((count) => render(id, stored, page, perPage, who, count)),
    );
    return around ? withViewCount(around, viewCount) : render(id, stored, page, perPage, who, viewCount);
  };

  app.get('/t/:id', (c) =>
    kit.answer(async () => {
      const id = parseId(c.req.param('id'), 'thread');
      const { page, perPage } = parseThreadPaging(c.req.url);
      const { viewer, csrf } = await kit.viewerOf(c);
      const stored = queries.thread(id);
      if (stored === undefined) throw new ApiError(404, 'not_found', `thread ${id} does not exist`);
      // Viewing counts (written behind, no call to legacy here); HEAD only asks about the page, and a shadow
      // copy (legacy has counted this view already) is nobody's view. The page shows the views this process
      // has counted and not yet sent, this one included, as legacy would.
      if (c.req.method === 'GET' && !isShadowRequest(c)) views.record(id);
      return pageOf(id, stored, page, perPage, { viewer, csrf }, stored.view_count + views.unflushed(id));
    }),
  );
  // legacy's router: the reply path takes POST only (which the route table sends to legacy).
  app.all('/t/:id/reply', (c) => pages.htmlError(405, `method ${c.req.method} is not allowed here; use POST`, { allow: 'POST' }));

  // A signed-in viewer's page answered before routing, when everything it needs is at hand without
  // waiting: the session as the resolver keeps it, the thread's row. Anything else (a session legacy must
  // be asked about, a bad parameter, a missing thread, a conditional request) is left to the handler above.
  return function personalPage(path, search, headers) {
    const id = positiveInteger(THREAD_PATH.exec(path)?.[1]);
    if (id === null || headers['if-none-match'] !== undefined) return undefined;
    let paging: { page: number; perPage: number };
    try {
      paging = parseThreadPaging(`http://front${path}${search}`);
    } catch {
      return undefined;
    }
    const who = kit.peekViewer(headers.cookie);
    const stored = who && queries.thread(id);
    if (!who || stored === undefined) return undefined;
    // The server counts the view (onHit, GET only) before it reads the body: the page shows it, as above.
    let body: Buffer<ArrayBuffer> | undefined;
    const bodyOf = (): Buffer<ArrayBuffer> => {
      if (body !== undefined) return body;
      const page = pageOf(id, stored, paging.page, paging.perPage, who, stored.view_count + views.unflushed(id));
      return (body = typeof page === 'string' ? Buffer.from(page) : page);
    };
    return {
      status: 200,
      etag: '',
      tags: [],
      onHit: (clientMethod) => {
        if (clientMethod === 'GET') views.record(id);
      },
      get body() {
        return bodyOf();
      },
      // The handler's lines and the Vary the cache's middleware adds to a personal answer.
      get headers() {
        return [
          ['content-type', 'text/html; charset=utf-8'],
          ['cache-control', 'no-store'],
          ['content-length', String(bodyOf().byteLength)],
          ['vary', VARY],
        ] as const;
      },
    };
  };
}

const THREAD_PATH = /^\/t\/([^/]+)$/;
