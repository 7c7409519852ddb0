/**
 * The live feed's settings, read once from the environment by the composition root (docs/live.md):
 *
 * LIVE_MAX_CONNECTIONS (20000): SSE streams and WebSockets held by one TS process; one more gets 503 / close 1013.
 * LIVE_HEARTBEAT_MS (15000): longest a connection stays silent; must be under the table's proxy_timeout_s.
 * LIVE_MAX_BUFFERED_BYTES (1048576): bytes waiting for one client that does not read; past it, it is cut.
 * LIVE_MAX_SUBSCRIPTIONS (100): topics one WebSocket may follow at once.
 * LIVE_MAX_FRAME_BYTES (4096): largest frame a client may send (close 1009 past it).
 * LIVE_POLL_MS (2000): how often the feed looks for posts whose notification was lost.
 * LIVE_REPLAY_MAX_POSTS (1000) and LIVE_REPLAY_MAX_AGE_S (86400, 0 for none): a longer or older gap is
 * not replayed; the client is told "not recovered" and reloads.
 */
export interface LiveSettings {
  readonly maxConnections: number;
  readonly heartbeatMs: number;
  readonly maxBufferedBytes: number;
  readonly maxSubscriptions: number;
  readonly maxFrameBytes: number;
  readonly pollMs: number;
  readonly replayMaxPosts: number;
  readonly replayMaxAgeMs: number;
}

export const LIVE_DEFAULTS = {
  LIVE_MAX_CONNECTIONS: 20_000,
  LIVE_HEARTBEAT_MS: 15_000,
  LIVE_MAX_BUFFERED_BYTES: 1024 * 1024,
  LIVE_MAX_SUBSCRIPTIONS: 100,
  LIVE_MAX_FRAME_BYTES: 4096,
  LIVE_POLL_MS: 2_000,
  LIVE_REPLAY_MAX_POSTS: 1_000,
  LIVE_REPLAY_MAX_AGE_S: 86_400,
} as const satisfies Record<string, number>;

/**
 * Read the settings; throws one message naming every bad variable and what it should be.
 *
 * @example
 * liveSettingsFrom(process.env, { proxyTimeoutMs: 60_000 }); // { maxConnections: 20000, heartbeatMs: 15000, … }
 */
export function liveSettingsFrom(env: NodeJS.ProcessEnv, { proxyTimeoutMs }: { proxyTimeoutMs?: number } = {}): LiveSettings {
  const problems: string[] = [];
  const read = (name: keyof typeof LIVE_DEFAULTS, min: number): number => {
    const text = env[name];
    if (text === undefined || text === '') return LIVE_DEFAULTS[name];
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min) {
      problems.push(`${name} must be a whole number of at least ${min}; it is ${JSON.stringify(text)}`);
      return LIVE_DEFAULTS[name];
    }
    return value;
  };
  const settings: LiveSettings = {
    maxConnections: read('LIVE_MAX_CONNECTIONS', 1),
    heartbeatMs: read('LIVE_HEARTBEAT_MS', 10),
    maxBufferedBytes: read('LIVE_MAX_BUFFERED_BYTES', 1024),
    maxSubscriptions: read('LIVE_MAX_SUBSCRIPTIONS', 1),
    maxFrameBytes: read('LIVE_MAX_FRAME_BYTES', 256),
    pollMs: read('LIVE_POLL_MS', 10),
    replayMaxPosts: read('LIVE_REPLAY_MAX_POSTS', 1),
    replayMaxAgeMs: read('LIVE_REPLAY_MAX_AGE_S', 0) * 1000,
  };
  if (proxyTimeoutMs !== undefined && settings.heartbeatMs >= proxyTimeoutMs) {
    problems.push(
      `LIVE_HEARTBEAT_MS (${settings.heartbeatMs}) must be under the route table's proxy_timeout_s (${proxyTimeoutMs / 1000} s), or the front door cuts idle live connections; lower it or raise proxy_timeout_s`,
    );
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return settings;
}
