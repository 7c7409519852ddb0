/**
 * The forum's composition point: which TS services the server mounts, on which database, with which
 * error pages. The gateway receives this; it never imports the forum itself.
 *
 * @example
 * const { services, notFound, errorResponse, close } = composeServices(process.env, logger);
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ComposeServices } from '../gateway/server/index.ts';
import { createBoardsService } from './boards/index.ts';
import { createForumPages, openForumDb } from './forum-common/index.ts';
import { createThreadsService } from './threads/index.ts';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const ERROR_TEMPLATE = resolve(ROOT, 'legacy-python/forum/templates/error.html');

export const composeServices: ComposeServices = (env, logger) => {
  const dbFile = resolve(ROOT, env.FORUM_DB || 'data/forum.db');
  const db = openForumDb(dbFile);
  const pages = createForumPages(ERROR_TEMPLATE);
  logger.debug({ event: 'forum_db_opened', file: dbFile }, 'forum database opened');
  return {
    services: [createBoardsService(db), createThreadsService(db)],
    notFound: pages.notFound,
    errorResponse: pages.errorResponse,
    close: () => db.close(),
  };
};
