/**
 * One server-sent event stream held in the live registry: bytes go out in order, a comment line keeps a
 * quiet stream alive, and a reader that falls more than `maxBufferedBytes` behind is cut off instead of
 * growing the process's memory (the browser then resumes with Last-Event-ID).
 */
import { isQuiet, type LiveConnection, type LiveRegistry } from './registry.ts';
import type { ByteSink } from './sink.ts';

export interface SseStreamOptions {
  readonly registry: LiveRegistry;
  /** Where the bytes go: the TS server's `openStream` binding, or {@link readableStreamSink}. */
  readonly sink: ByteSink;
  /** Bytes queued for a client that is not reading; past this its connection is cut. */
  readonly maxBufferedBytes: number;
  /** Comment line sent when the stream has been quiet (SSE comments are ignored by EventSource). */
  readonly heartbeat?: string;
  /** Called once when the stream is over, whoever ended it (the client, a slow read, shutdown, the server). */
  onClose(reason: SseCloseReason): void;
}

export type SseCloseReason = 'client' | 'slow' | 'shutdown' | 'server';

export interface SseStream {
  /** Queue bytes for the client; false when the stream is over (or just ended because the client is too slow). */
  send(bytes: Uint8Array): boolean;
  /** End the stream after what is queued. */
  end(): void;
}

const encoder = new TextEncoder();

/**
 * Hold a stream in the registry, or undefined when the registry is at its ceiling (the caller answers
 * 503 before it opens a sink).
 *
 * @example
 * if (!registry.hasRoom()) return busy503();
 * const stream = openSseStream({ registry, sink, maxBufferedBytes: 1 << 20, onClose: () => feed.leave(sub) });
 * stream?.send(new TextEncoder().encode(': connected\n\n'));
 */
export function openSseStream({ registry, sink, maxBufferedBytes, heartbeat = ': keepalive\n\n', onClose }: SseStreamOptions): SseStream | undefined {
  const heartbeatBytes = encoder.encode(heartbeat);
  let over = false;
  let lastSentAt = Date.now();
  const finish = (reason: SseCloseReason): boolean => {
    if (over) return false;
    over = true;
    registry.remove(connection);
    onClose(reason);
    return true;
  };
  const send = (bytes: Uint8Array): boolean => {
    if (over) return false;
    sink.write(bytes);
    lastSentAt = Date.now();
    if (sink.buffered() <= maxBufferedBytes) return true;
    // Not an end: an end would wait, holding the connection, for the backlog the client is not reading.
    if (finish('slow')) sink.destroy();
    return false;
  };
  const connection: LiveConnection = {
    tick(now) {
      if (!over && isQuiet(lastSentAt, now, registry.heartbeatMs)) send(heartbeatBytes);
    },
    shutdown() {
      if (finish('shutdown')) sink.end();
    },
  };
  if (!registry.add(connection)) return undefined;
  sink.onClose(() => finish('client'));
  return {
    send,
    end() {
      if (finish('server')) sink.end();
    },
  };
}
