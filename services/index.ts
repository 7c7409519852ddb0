/**
 * The forum's composition root: which TS services the server mounts, on which database, with which
 * error pages. The TS server loads this module because the forum's configuration names it
 * (`STRANGLER_SERVICES: services/index.ts` in stack.yaml and compose.yaml); the gateway never imports it.
 *
 * @example
 * const { services, notFound, errorResponse, close } = composeServices(process.env, logger, { legacyUrl, internalToken });
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ComposeServices } from '../gateway/server/index.ts';
import { createInternalCaller } from '../gateway/internal/index.ts';
import { createBoardsService } from './boards/index.ts';
import { assertForumSchema, createForumPages, LEGACY_TEMPLATES_DIR, loadForumTemplates, openForumDb, openForumDbForWriting } from './forum-common/index.ts';
import { createMarkdownService } from './markdown/index.ts';
import { createSessionResolver, createSessionsService } from './sessions/index.ts';
import { createThreadsService } from './threads/index.ts';
import { createUsersService, iterationsFrom, prepareUserQueries } from './users/index.ts';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const ERROR_TEMPLATE = resolve(LEGACY_TEMPLATES_DIR, 'error.html');

const FORGET_TOPIC = 'sessions.forget';

export const composeServices: ComposeServices = (env, logger, { legacyUrl, internalToken, siblings, identity }) => {
  const dbFile = resolve(ROOT, env.FORUM_DB || 'data/forum.db');
  const db = openForumDb(dbFile);
  // Checked before anything writes: a file that is not the forum's is left exactly as it is.
  assertForumSchema(db);
  // The users table is this side's: its service alone gets a handle that can write.
  const writer = openForumDbForWriting(dbFile);
  const pages = createForumPages(ERROR_TEMPLATE);
  logger.debug({ event: 'forum_db_opened', file: dbFile }, 'forum database opened');
  const legacy = createInternalCaller({ baseUrl: legacyUrl, token: internalToken });
  // The forum's cookie unless the configuration names another (STRANGLER_SESSION_COOKIE).
  const sessions = createSessionResolver({ legacy, cookieName: identity?.cookieName ?? undefined, resolvePath: identity?.resolvePath });
  // Legacy tells one worker about a logout; that worker tells the others, so every cache forgets it.
  siblings?.on(FORGET_TOPIC, (hash) => typeof hash === 'string' && sessions.forget(hash));
  // One set of the users table's statements, on the owner's handle, for its service and the thread page.
  const users = prepareUserQueries(writer);
  return {
    services: [
      createBoardsService(db),
      createThreadsService(db, { templates: loadForumTemplates(LEGACY_TEMPLATES_DIR), pages, legacy, sessions, findUser: users.byId, logger }),
      createUsersService({ queries: users, sessions, iterations: iterationsFrom(env), logger }),
      createSessionsService(sessions, { onForget: (hash) => siblings?.send(FORGET_TOPIC, hash) }),
      createMarkdownService(),
    ],
    notFound: pages.notFound,
    errorResponse: pages.errorResponse,
    close: () => {
      db.close();
      writer.close();
    },
  };
};
