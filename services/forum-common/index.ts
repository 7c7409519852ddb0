/**
 * What the forum's TS services share: the database handle, the API's parameter rules, its JSON answers
 * and error pages, all matching legacy byte for byte.
 *
 * @example
 * app.onError(forumErrors);
 * app.get('/api/v1/things/:id', (c) => apiJson({ thing: find(parseId(c.req.param('id'), 'thing')) }));
 */
import type { ErrorHandler } from 'hono';
import { ApiError, apiErrorResponse } from './responses.ts';

export { assertForumSchema, openForumDb, openForumDbForWriting, type ForumDb } from './db.ts';
export { firstQueryValue, parseId, parsePage, parsePaging, parsePerPage, positiveInteger } from './params.ts';
export { ApiError, apiErrorResponse, apiJson, apiJsonEncoded, methodNotAllowed, noEndpoint, type ApiErrorCode } from './responses.ts';
export { cookieValue, CSRF_COOKIE, SESSION_COOKIE } from './cookies.ts';
export { loadErrorPage, type ErrorPageFields } from './error-page.ts';
export { createForumPages, isApiPath, type ForumPages } from './pages.ts';
export { createForumPageKit, PageUnavailable, type ForumPageKit, type ForumPageOptions, type PageRequestViewer } from './page-kit.ts';
export { createForumCache, forumCacheSettingsFrom, NO_FORUM_CACHE, tagsOfChange, type ForumCache, type ForumCacheSettings } from './cache.ts';
export {
  escapeHtml,
  joinFragments,
  LEGACY_TEMPLATES_DIR,
  loadForumTemplates,
  Markup,
  urlPart,
  type ForumTemplates,
  type PageViewer,
  type TemplateValue,
  type TemplateValues,
} from './templates.ts';

/** A service's onError: expected failures become the API's error JSON; anything else goes up to the server. */
export const forumErrors: ErrorHandler = (err) => {
  if (err instanceof ApiError) return apiErrorResponse(err);
  throw err;
};
