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
export function openSseStream({ registry, sink, maxBufferedBytes, heartbeat, onClose }: SseStreamOptions): SseStream | undefined {
  const stream = new HeldSseStream(registry, sink, maxBufferedBytes, heartbeat === undefined ? KEEPALIVE : encoder.encode(heartbeat), onClose);
  if (!registry.add(stream)) return undefined;
  sink.onClose(() => stream.finish('client'));
  return stream;
}

const KEEPALIVE = encoder.encode(': keepalive\n\n');

// A class, not an object of closures: thousands are held at once, and its methods are shared by all of
// them (closures cost a function object each per stream, more under tsx, which names every one of them).
class HeldSseStream implements SseStream, LiveConnection {
  private over = false;
  private lastSentAt = Date.now();

  constructor(
    private readonly registry: LiveRegistry,
    private readonly sink: ByteSink,
    private readonly maxBufferedBytes: number,
    private readonly heartbeat: Uint8Array,
    private readonly onClose: (reason: SseCloseReason) => void,
  ) {}

  /** Over once: out of the registry, the owner told; false when it already was. */
  finish(reason: SseCloseReason): boolean {
    if (this.over) return false;
    this.over = true;
    this.registry.remove(this);
    this.onClose(reason);
    return true;
  }

  send(bytes: Uint8Array): boolean {
    if (this.over) return false;
    this.sink.write(bytes);
    this.lastSentAt = Date.now();
    if (this.sink.buffered() <= this.maxBufferedBytes) return true;
    // Not an end: an end would wait, holding the connection, for the backlog the client is not reading.
    if (this.finish('slow')) this.sink.destroy();
    return false;
  }

  end(): void {
    if (this.finish('server')) this.sink.end();
  }

  tick(now: number): void {
    if (!this.over && isQuiet(this.lastSentAt, now, this.registry.heartbeatMs)) this.send(this.heartbeat);
  }

  shutdown(): void {
    if (this.finish('shutdown')) this.sink.end();
  }
}
