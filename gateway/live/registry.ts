/**
 * The live connections of one process (server-sent event streams and WebSockets alike): a ceiling on
 * their number, one timer that lets each quiet connection send its heartbeat, and the list to close at
 * shutdown. One timer for every connection, not one each: ten thousand idle clients cost one wake-up.
 */

/** What the registry asks of a connection. */
export interface LiveConnection {
  /** Called on every tick of the registry's timer; the connection sends its heartbeat if it has been quiet. */
  tick(now: number): void;
  /** The server is going away: end the connection in the transport's own words (WebSocket close 1001). */
  shutdown(): void;
}

export interface LiveRegistryOptions {
  /** Connections held at once; one more is refused (SSE 503, WebSocket close 1013). */
  readonly maxConnections: number;
  /**
   * Longest a connection stays silent: a heartbeat goes out within it, so a proxy's idle timeout (nginx
   * proxy_read_timeout, the table's proxy_timeout_s) never cuts an idle client.
   */
  readonly heartbeatMs: number;
}

export interface LiveRegistry {
  readonly maxConnections: number;
  readonly heartbeatMs: number;
  /** Whether one more connection would be held now. */
  hasRoom(): boolean;
  /** Hold `connection`; false (and nothing held) when the ceiling is reached or the registry is closed. */
  add(connection: LiveConnection): boolean;
  remove(connection: LiveConnection): void;
  /** Connections held now. */
  size(): number;
  /** Shut every connection down and refuse new ones (at the start of a drain). */
  close(): void;
}

/**
 * @example
 * const registry = createLiveRegistry({ maxConnections: 20_000, heartbeatMs: 15_000 });
 * if (!registry.add(connection)) return refuse503();
 * // on the connection's end: registry.remove(connection); at shutdown: registry.close();
 */
export function createLiveRegistry({ maxConnections, heartbeatMs }: LiveRegistryOptions): LiveRegistry {
  const held = new Set<LiveConnection>();
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  // Ticking at half the limit, a connection quiet for half of it sends: none stays silent for the whole limit.
  const start = (): void => {
    timer ??= setInterval(
      () => {
        const now = Date.now();
        for (const connection of held) connection.tick(now);
      },
      Math.max(1, Math.floor(heartbeatMs / 2)),
    );
    timer.unref();
  };
  const stop = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  return {
    maxConnections,
    heartbeatMs,
    hasRoom: () => !closed && held.size < maxConnections,
    add(connection) {
      if (closed || held.size >= maxConnections) return false;
      held.add(connection);
      start();
      return true;
    },
    remove(connection) {
      held.delete(connection);
      if (held.size === 0) stop();
    },
    size: () => held.size,
    close() {
      closed = true;
      stop();
      for (const connection of [...held]) connection.shutdown();
      held.clear();
    },
  };
}

/** Whether a connection that last sent at `lastSentAt` should send its heartbeat now (half the limit has passed). */
export const isQuiet = (lastSentAt: number, now: number, heartbeatMs: number): boolean => now - lastSentAt >= heartbeatMs / 2;
