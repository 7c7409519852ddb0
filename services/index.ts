/**
 * The forum's composition root: which TS services the server mounts, on which database, with which
 * error pages. The TS server loads this module because the forum's configuration names it
 * (`STRANGLER_SERVICES: services/index.ts` in stack.yaml and compose.yaml); the gateway never imports it.
 *
 * @example
 * const { services, notFound, errorResponse, close } = composeServices(process.env, logger, { legacyUrl, internalToken });
 *
 * FORUM_VIEWS_FLUSH_MS (default 1000): how often thread views counted by the TS pages are sent to legacy.
 * FORUM_CACHE, FORUM_CACHE_TTL_MS, FORUM_CACHE_MAX_BYTES: the guest page and response cache
 * (forum-common/cache.ts, docs/cache.md), emptied of what changed by legacy's notifications
 * (POST /_internal/v1/changes) and by this side's own writes.
 * LIVE_* (services/live/settings.ts, docs/live.md): the live feed's ceiling, heartbeat, buffers and replay.
 * REDIS_URL: set, the change bus crosses processes and machines through Redis pub/sub; unset, it stays
 * in this server (its workers relay to each other).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ComposeServices } from '../gateway/server/index.ts';
import { createCacheStatsService } from '../gateway/cache/index.ts';
import { createChangeBus, createChangesService, createRedisRelay } from '../gateway/changes/index.ts';
import { createInternalCaller } from '../gateway/internal/index.ts';
import { createBoardsService } from './boards/index.ts';
import {
  assertForumSchema,
  createForumCache,
  createForumPages,
  forumCacheSettingsFrom,
  LEGACY_TEMPLATES_DIR,
  loadForumTemplates,
  openForumDb,
  openForumDbForWriting,
  SESSION_COOKIE,
} from './forum-common/index.ts';
import { createLiveService, liveSettingsFrom } from './live/index.ts';
import { createMarkdownService } from './markdown/index.ts';
import { createSessionResolver, createSessionsService } from './sessions/index.ts';
import { createThreadsService, createViewCounter } from './threads/index.ts';
import { createUsersService, hashSlotsFrom, iterationsFrom, prepareUserQueries } from './users/index.ts';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const ERROR_TEMPLATE = resolve(LEGACY_TEMPLATES_DIR, 'error.html');

const FORGET_TOPIC = 'sessions.forget';

export const composeServices: ComposeServices = (env, logger, { legacyUrl, internalToken, siblings, identity, proxyTimeoutMs }) => {
  // Read first: a bad setting stops start-up before anything is opened.
  const liveSettings = liveSettingsFrom(env, { proxyTimeoutMs });
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
  const views = createViewCounter({ legacy, logger, flushIntervalMs: flushIntervalFrom(env) });
  // The forum's HTML pages share legacy's templates, error pages and the session's viewer.
  // What changed, from legacy (the changes endpoint) or from here (the users service), in every worker.
  // With REDIS_URL every process on every machine hears every change through Redis (the workers'
  // relay then carries none, or each change would arrive twice); without it, the workers' relay does.
  const relay = env.REDIS_URL ? createRedisRelay({ url: env.REDIS_URL, logger }) : undefined;
  const changes = createChangeBus({ logger, siblings: relay ?? siblings });
  const cache = createForumCache(forumCacheSettingsFrom(env), identity?.cookieName ?? undefined);
  changes.subscribe(cache.apply);
  const page = { templates: loadForumTemplates(LEGACY_TEMPLATES_DIR), pages, sessions, findUser: users.byId, logger };
  const live = createLiveService({ db, changes, pages, logger, settings: liveSettings });
  return {
    services: [
      createBoardsService(db, page, cache),
      createThreadsService(db, { ...page, views }, cache),
      createUsersService({ queries: users, sessions, iterations: iterationsFrom(env), hashSlots: hashSlotsFrom(env), logger, onChange: changes.publish }),
      createChangesService(changes),
      createCacheStatsService(cache.stores),
      createSessionsService(sessions, { onForget: (hash) => siblings?.send(FORGET_TOPIC, hash) }),
      createMarkdownService(),
      live,
    ],
    notFound: pages.notFound,
    errorResponse: pages.errorResponse,
    // A canary route keeps each user on one side by this cookie's value.
    sessionCookie: identity?.cookieName ?? SESSION_COOKIE,
    // The views counted since the last flush go to legacy before the handles close.
    close: async () => {
      live.close();
      await views.close();
      await relay?.close();
      db.close();
      writer.close();
    },
  };
};

function flushIntervalFrom(env: NodeJS.ProcessEnv): number | undefined {
  const text = env.FORUM_VIEWS_FLUSH_MS;
  if (text === undefined || text === '') return undefined;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 1) throw new Error(`FORUM_VIEWS_FLUSH_MS must be a whole number of milliseconds, at least 1; it is ${JSON.stringify(text)}`);
  return ms;
}
