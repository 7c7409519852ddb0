/**
 * What every HTML page of the forum shares: legacy's templates and error pages, the viewer behind the
 * session cookie, the headers legacy sends with a page, and one way of turning a page's expected failures
 * (a bad parameter, a missing row, legacy not answering) into legacy's error page.
 */
import type { Context } from 'hono';
import { InternalCallError } from '../../gateway/internal/index.ts';
import type { Logger } from '../../gateway/log/index.ts';
import type { ServiceEnv } from '../../gateway/server/index.ts';
import type { SessionResolver } from '../sessions/index.ts';
import { cookieValue, CSRF_COOKIE } from './cookies.ts';
import type { ForumPages } from './pages.ts';
import { ApiError } from './responses.ts';
import type { ForumTemplates, PageViewer } from './templates.ts';

/** The collaborators of every HTML page. */
export interface ForumPageOptions {
  readonly templates: ForumTemplates;
  readonly pages: ForumPages;
  /** Whose session a cookie is (legacy's answer, cached; `peek` for what is kept). */
  readonly sessions: Pick<SessionResolver, 'identify' | 'peek'>;
  /** A user of the users table (this side's), or undefined. */
  readonly findUser: (id: number) => PageViewer | undefined;
  readonly logger: Logger;
}

/** Who is looking at a page: the signed-in viewer (null for a guest) and the csrf cookie for the forms. */
export interface PageRequestViewer {
  readonly viewer: PageViewer | null;
  readonly csrf: string;
}

// legacy-python/forum/internal.py's UNAVAILABLE wording.
const unavailable = (what: string): string => `${what} is not answering right now; try again in a moment.`;

/** A call to legacy that failed: answered with the 503 page, after the log line. */
export class PageUnavailable extends Error {
  override readonly name = 'PageUnavailable';
}

export interface ForumPageKit {
  /** The viewer of the request's session; throws PageUnavailable when legacy cannot say. */
  viewerOf(c: Context<ServiceEnv>): Promise<PageRequestViewer>;
  /** The viewer of a Cookie header when known without asking legacy (see SessionResolver.peek), else undefined. */
  peekViewer(cookie: string | undefined): PageRequestViewer | undefined;
  /** Log one line naming the failed call; the returned error's page says who is not answering. */
  unavailableAfter(c: Context<ServiceEnv>, call: string, kind: string, message: string, what: string): PageUnavailable;
  /**
   * Run a page handler: its HTML as legacy sends a page (no-store, with Content-Length), an ApiError as
   * legacy's error page with its status, PageUnavailable as the 503 page. Anything else goes up. A page
   * already in UTF-8 bytes (put together from kept pieces) is sent as they are, with no encoding again.
   */
  answer(render: () => Promise<string | Uint8Array<ArrayBuffer>> | string | Uint8Array<ArrayBuffer>): Promise<Response>;
}

/**
 * @example
 * const kit = createForumPageKit({ templates, pages, sessions, findUser, logger });
 * app.get('/', (c) => kit.answer(async () => { const { viewer, csrf } = await kit.viewerOf(c); return templates.page('Boards', content, viewer, csrf); }));
 */
export function createForumPageKit({ pages, sessions, findUser, logger }: ForumPageOptions): ForumPageKit {
  const unavailableAfter: ForumPageKit['unavailableAfter'] = (c, call, kind, message, what) => {
    logger.error({ event: 'internal_call_failed', request_id: c.env?.requestId, call, kind, err: message }, message);
    return new PageUnavailable(unavailable(what));
  };
  // The user's row, read once per answer of the session resolver: it hands back the same session object
  // for as long as it keeps the session (a few seconds), and a user's id never names another username.
  const viewers = new WeakMap<object, PageViewer | null>();
  const viewerOfSession = (session: { readonly user_id: number }): PageViewer | null => {
    let viewer = viewers.get(session);
    if (viewer === undefined) viewers.set(session, (viewer = findUser(session.user_id) ?? null));
    return viewer;
  };
  return {
    unavailableAfter,
    peekViewer(cookie) {
      const session = sessions.peek(cookie);
      if (session === undefined) return undefined;
      return { viewer: session ? viewerOfSession(session) : null, csrf: cookieValue(cookie, CSRF_COOKIE) ?? '' };
    },
    async viewerOf(c) {
      const cookie = c.req.header('cookie');
      let viewer: PageViewer | null;
      try {
        const session = await sessions.identify(cookie, c.env?.requestId);
        viewer = session ? viewerOfSession(session) : null;
      } catch (err) {
        if (!(err instanceof InternalCallError)) throw err;
        throw unavailableAfter(c, 'legacy sessions/resolve', err.kind, err.message, 'The session service');
      }
      return { viewer, csrf: cookieValue(cookie, CSRF_COOKIE) ?? '' };
    },
    async answer(render) {
      try {
        const html = await render();
        const length = typeof html === 'string' ? Buffer.byteLength(html) : html.byteLength;
        return new Response(html, {
          headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(length) },
        });
      } catch (err) {
        if (err instanceof ApiError) return pages.htmlError(err.status, err.message);
        if (err instanceof PageUnavailable) return pages.htmlError(503, err.message);
        throw err;
      }
    },
  };
}
