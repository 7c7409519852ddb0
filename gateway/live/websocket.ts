/**
 * WebSocket connections held in the live registry, on the `ws` package: the handshake, the ceiling
 * (close 1013 right after the handshake, so the client learns why), text frames only (1003 for binary),
 * a frame size limit (1009, by `ws` itself), pings when quiet (a peer that misses a pong is dropped) and
 * a send buffer cap (a client too slow to read is closed with 1008). What the frames mean is the caller's.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../log/index.ts';
import { isQuiet, type LiveConnection, type LiveRegistry } from './registry.ts';

/** Close codes (RFC 6455 section 7.4.1) the gateway's live endpoints use. */
export const CLOSE = {
  GOING_AWAY: 1001,
  UNSUPPORTED_DATA: 1003,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  TRY_AGAIN_LATER: 1013,
} as const;

/** One open WebSocket as the caller sees it. */
export interface LiveSocket {
  /** Send a text frame; false when the socket is closing or the client is too slow (it is then closed with 1008). */
  send(text: string): boolean;
  /** Close with a code and a reason (at most 123 bytes of UTF-8). */
  close(code: number, reason: string): void;
}

/** What the caller does with one connection's frames. */
export interface LiveSocketHandler {
  /** A text frame (valid UTF-8: `ws` closes with 1007 otherwise). */
  message(text: string): void;
  /** The connection is over, for whatever reason. */
  closed(): void;
}

export interface WebSocketEndpointOptions {
  readonly registry: LiveRegistry;
  readonly logger: Logger;
  /** Largest frame a client may send; a larger one closes the connection with 1009. */
  readonly maxFrameBytes: number;
  /** Bytes queued for a client that is not reading; past this the connection is closed with 1008. */
  readonly maxBufferedBytes: number;
  /** A new connection: return how its frames are handled. */
  open(socket: LiveSocket, req: IncomingMessage): LiveSocketHandler;
}

export interface WebSocketEndpoint {
  /** Take an upgrade request over (the server's 'upgrade' event, once routing chose this endpoint). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

// Close reasons travel in a control frame: at most 123 bytes.
const MAX_REASON_BYTES = 123;

/**
 * @example
 * const endpoint = createWebSocketEndpoint({ registry, logger, maxFrameBytes: 4096, maxBufferedBytes: 262_144,
 *   open: (socket) => ({ message: (text) => socket.send(text), closed() {} }) });
 * server.on('upgrade', (req, socket, head) => endpoint.handleUpgrade(req, socket, head));
 */
export function createWebSocketEndpoint({ registry, logger, maxFrameBytes, maxBufferedBytes, open }: WebSocketEndpointOptions): WebSocketEndpoint {
  // No compression: per-message deflate costs tens of kilobytes per connection, and posts are small.
  const server = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes, perMessageDeflate: false, clientTracking: false });

  function accept(ws: WebSocket, req: IncomingMessage): void {
    let lastSentAt = Date.now();
    let awaitingPong = false;
    let closing = false;
    const close = (code: number, reason: string): void => {
      if (closing) return;
      closing = true;
      ws.close(code, truncate(reason));
    };
    const connection: LiveConnection = {
      tick(now) {
        if (closing) return;
        // A ping unanswered for a whole tick: the peer is gone without a word (a cable pulled, a laptop shut).
        if (awaitingPong) return void ws.terminate();
        if (!isQuiet(lastSentAt, now, registry.heartbeatMs)) return;
        awaitingPong = true;
        lastSentAt = now;
        ws.ping();
      },
      shutdown: () => close(CLOSE.GOING_AWAY, 'the server is restarting; reconnect and resubscribe with your last id'),
    };
    if (!registry.add(connection)) {
      logger.warn({ event: 'live_refused', reason: 'full', max_connections: registry.maxConnections }, 'live connection refused: at the ceiling');
      ws.close(CLOSE.TRY_AGAIN_LATER, 'the server holds as many live connections as it may; try again later');
      return;
    }
    const socket: LiveSocket = {
      send(text) {
        if (closing || ws.readyState !== ws.OPEN) return false;
        if (ws.bufferedAmount > maxBufferedBytes) {
          close(CLOSE.POLICY_VIOLATION, `too slow: more than ${maxBufferedBytes} bytes waited to be read`);
          return false;
        }
        ws.send(text);
        lastSentAt = Date.now();
        return true;
      },
      close,
    };
    const handler = open(socket, req);
    ws.on('pong', () => (awaitingPong = false));
    ws.on('message', (data, isBinary) => {
      if (closing) return;
      if (isBinary) return close(CLOSE.UNSUPPORTED_DATA, 'binary frames are not accepted; send JSON as text frames');
      handler.message(data.toString());
    });
    // Frame errors (too big, invalid UTF-8, bad opcode) are closed by `ws` with the right code; only log them.
    ws.on('error', (err) => logger.debug({ event: 'live_socket_error', err: err.message }, 'live socket error'));
    ws.once('close', () => {
      closing = true;
      registry.remove(connection);
      handler.closed();
    });
  }

  return {
    handleUpgrade(req, socket, head) {
      socket.on('error', () => socket.destroy());
      server.handleUpgrade(req, socket, head, (ws) => accept(ws, req));
    },
  };
}

function truncate(reason: string): string {
  const bytes = Buffer.from(reason);
  return bytes.length <= MAX_REASON_BYTES
    ? reason
    : bytes
        .subarray(0, MAX_REASON_BYTES)
        .toString()
        .replace(/\uFFFD$/, '');
}
