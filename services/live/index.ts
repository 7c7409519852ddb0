/**
 * Live updates of the forum, served by the TS server (docs/live.md): the thread feed `GET /live/t/<id>`
 * (server-sent events, legacy's format) and the WebSocket API `GET /api/v2/live` (protocol version 1).
 * New posts are found in the database after each change notification on the bus, and by a poll.
 */
import { Hono } from 'hono';
import type { ChangeBus } from '../../gateway/changes/index.ts';
import { createLiveRegistry, createWebSocketEndpoint } from '../../gateway/live/index.ts';
import type { Logger } from '../../gateway/log/index.ts';
import { defineService, type PublicService, type ServiceEnv } from '../../gateway/server/index.ts';
import type { ForumDb, ForumPages } from '../forum-common/index.ts';
import { createLiveFeed } from './feed.ts';
import { prepareLiveQueries } from './queries.ts';
import type { LiveSettings } from './settings.ts';
import { openLiveSocket } from './socket.ts';
import { liveStatsRoutes } from './stats.ts';
import { mountThreadEvents } from './sse.ts';

export { createLiveFeed, parseTopic, type LiveFeed, type LivePost, type Subscriber, type Topic } from './feed.ts';
export { LIVE_DEFAULTS, liveSettingsFrom, type LiveSettings } from './settings.ts';
export { APP_CLOSE, PROTOCOL_VERSION } from './socket.ts';

export const WEBSOCKET_PATH = '/api/v2/live';

export interface LiveServiceOptions {
  readonly db: ForumDb;
  readonly changes: ChangeBus;
  readonly pages: ForumPages;
  readonly logger: Logger;
  readonly settings: LiveSettings;
}

/**
 * @example
 * const live = createLiveService({ db, changes, pages, logger, settings: liveSettingsFrom(env) });
 * // routes.yaml: /live and /api/v2/live → handler: live, methods [GET]
 */
export function createLiveService({ db, changes, pages, logger, settings }: LiveServiceOptions): PublicService & { close(): void } {
  const feed = createLiveFeed({
    queries: prepareLiveQueries(db),
    changes,
    logger,
    pollMs: settings.pollMs,
    replay: { maxPosts: settings.replayMaxPosts, maxAgeMs: settings.replayMaxAgeMs },
  });
  // One ceiling and one heartbeat timer for both transports.
  const registry = createLiveRegistry({ maxConnections: settings.maxConnections, heartbeatMs: settings.heartbeatMs });
  const websocket = createWebSocketEndpoint({
    registry,
    logger,
    maxFrameBytes: settings.maxFrameBytes,
    maxBufferedBytes: settings.maxBufferedBytes,
    open: (socket) => openLiveSocket(socket, { feed, maxSubscriptions: settings.maxSubscriptions }),
  });
  const app = new Hono<ServiceEnv>();
  mountThreadEvents(app, { feed, registry, pages, maxBufferedBytes: settings.maxBufferedBytes });
  // A plain GET (no Upgrade) on the WebSocket path: say what it is for.
  app.get(WEBSOCKET_PATH, () =>
    Response.json(
      {
        error: {
          code: 'upgrade_required',
          message: `${WEBSOCKET_PATH} is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket); docs/live.md has the protocol`,
        },
      },
      { status: 426, headers: { upgrade: 'websocket', 'cache-control': 'no-store' } },
    ),
  );
  const service = defineService({
    name: 'live',
    app,
    internal: liveStatsRoutes(registry, feed),
    upgrade(req, socket, head) {
      if ((req.url ?? '/').split('?')[0] === WEBSOCKET_PATH) return websocket.handleUpgrade(req, socket, head);
      // The feed's other paths are plain HTTP: an upgrade there is a client's mistake.
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 40\r\n\r\nWebSocket connections go to /api/v2/live');
    },
    shutdown: () => registry.close(),
  });
  return {
    ...service,
    close() {
      registry.close();
      feed.stop();
    },
  };
}
