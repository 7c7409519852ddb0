/**
 * Where a long answer's bytes go: the client's connection itself (a Node response written directly,
 * the lightest way to hold thousands of idle streams), or a Fetch ReadableStream where no Node
 * response stands behind the request (`app.request` in unit tests).
 */
import type { ServerResponse } from 'node:http';

export interface ByteSink {
  write(bytes: Uint8Array): void;
  /** Bytes written and not yet taken by the client's connection. */
  buffered(): number;
  /** End the answer after what is queued. */
  end(): void;
  /** Cut the connection now, dropping what is queued. */
  destroy(): void;
  /** Called once when the answer is over: ended, cut, or the client gone. */
  onClose(listener: () => void): void;
}

/**
 * A sink on a Node response whose head is already written.
 *
 * @example
 * res.writeHead(200, { 'content-type': 'text/event-stream' });
 * const sink = nodeResponseSink(res);
 */
export function nodeResponseSink(res: ServerResponse): ByteSink {
  return new NodeResponseSink(res);
}

// A class, not an object of closures: one sink per held stream, and its methods are shared by all of
// them (closures cost a function object each per stream, more under tsx, which names every one of them).
class NodeResponseSink implements ByteSink {
  constructor(private readonly res: ServerResponse) {}
  write(bytes: Uint8Array): void {
    this.res.write(bytes);
  }
  // What the response holds before its socket, and what the socket holds before the kernel.
  buffered(): number {
    return this.res.writableLength + (this.res.socket?.writableLength ?? 0);
  }
  end(): void {
    this.res.end();
  }
  destroy(): void {
    this.res.destroy();
  }
  onClose(listener: () => void): void {
    // 'close' is emitted once; `on` spares the wrapper `once` would make.
    this.res.on('close', listener);
  }
}

/**
 * A sink whose bytes become a Fetch Response body (what the server writes as the client reads).
 *
 * @example
 * const { sink, body } = readableStreamSink();
 * return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
 */
export function readableStreamSink(): { sink: ByteSink; body: ReadableStream<Uint8Array> } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const listeners: (() => void)[] = [];
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const listener of listeners.splice(0)) listener();
  };
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c), cancel: close }, new ByteLengthQueuingStrategy({ highWaterMark: 1 }));
  return {
    body,
    sink: {
      write: (bytes) => (closed ? undefined : controller.enqueue(bytes)),
      buffered: () => Math.max(0, 1 - (controller.desiredSize ?? 1)),
      end: () => {
        if (!closed) controller.close();
        close();
      },
      destroy: () => {
        if (!closed) controller.error(new Error('the stream was cut'));
        close();
      },
      onClose: (listener) => void (closed ? listener() : listeners.push(listener)),
    },
  };
}
