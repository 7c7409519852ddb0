/**
 * One server-sent event stream as a Fetch Response body, held in the live registry: bytes go out in
 * order, a comment line keeps a quiet stream alive, and a reader that falls more than
 * `maxBufferedBytes` behind is cut off instead of growing the process's memory.
 */
import { isQuiet, type LiveConnection, type LiveRegistry } from './registry.ts';

export interface SseStreamOptions {
  readonly registry: LiveRegistry;
  /** Bytes queued for a client that is not reading; past this its stream ends. */
  readonly maxBufferedBytes: number;
  /**
   * Cut the client's connection at once (the TS server's `closeConnection` binding). A slow reader's
   * stream is ended this way; without it the stream errors, which node-server reports on stderr.
   */
  readonly cut?: () => void;
  /** Comment line sent when the stream has been quiet (SSE comments are ignored by EventSource). */
  readonly heartbeat?: string;
  /** Called once when the stream is over, whoever ended it (the client, a slow read, shutdown). */
  onClose(reason: SseCloseReason): void;
}

export type SseCloseReason = 'client' | 'slow' | 'shutdown' | 'server';

export interface SseStream {
  /** The Response body; node-server writes it as the client reads, so its queue is the client's backlog. */
  readonly body: ReadableStream<Uint8Array>;
  /** Queue bytes for the client; false when the stream is over (or just ended because the client is too slow). */
  send(bytes: Uint8Array): boolean;
  /** End the stream after what is queued. */
  end(): void;
}

const encoder = new TextEncoder();

/**
 * Open a stream, or undefined when the registry is at its ceiling (the caller answers 503).
 *
 * @example
 * const stream = openSseStream({ registry, maxBufferedBytes: 256 * 1024, onClose: () => feed.leave(sub) });
 * if (!stream) return c.text('busy', 503);
 * stream.send(new TextEncoder().encode(': connected\n\n'));
 * return new Response(stream.body, { headers: { 'content-type': 'text/event-stream' } });
 */
export function openSseStream({ registry, maxBufferedBytes, cut, heartbeat = ': keepalive\n\n', onClose }: SseStreamOptions): SseStream | undefined {
  const heartbeatBytes = encoder.encode(heartbeat);
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let over = false;
  let lastSentAt = Date.now();
  const finish = (reason: SseCloseReason): void => {
    if (over) return;
    over = true;
    registry.remove(connection);
    onClose(reason);
  };
  const connection: LiveConnection = {
    tick(now) {
      if (!over && isQuiet(lastSentAt, now, registry.heartbeatMs)) send(heartbeatBytes);
    },
    shutdown() {
      if (over) return;
      finish('shutdown');
      controller.close();
    },
  };
  if (!registry.add(connection)) return undefined;
  const body = new ReadableStream<Uint8Array>(
    {
      start: (c) => void (controller = c),
      // node-server cancels the body when the client's connection closes.
      cancel: () => finish('client'),
    },
    // The queue counts bytes: desiredSize below zero means the client is more than the cap behind.
    new ByteLengthQueuingStrategy({ highWaterMark: maxBufferedBytes }),
  );
  const send = (bytes: Uint8Array): boolean => {
    if (over) return false;
    controller.enqueue(bytes);
    lastSentAt = Date.now();
    if ((controller.desiredSize ?? 0) < 0) {
      finish('slow');
      // Not a close: a close would wait, holding the connection, for the backlog the client is not reading.
      if (cut) cut();
      else controller.error(new SlowReaderError(maxBufferedBytes));
      return false;
    }
    return true;
  };
  return {
    body,
    send,
    end() {
      if (over) return;
      finish('server');
      controller.close();
    },
  };
}

/** The client read too slowly: its backlog passed the cap and its stream was cut. */
export class SlowReaderError extends Error {
  override readonly name = 'SlowReaderError';
  constructor(maxBufferedBytes: number) {
    super(`the client fell more than ${maxBufferedBytes} bytes behind; its stream was closed`);
  }
}
