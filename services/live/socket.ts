/**
 * The WebSocket protocol of `GET /api/v2/live`, version 1 (docs/live.md): JSON text frames, each with
 * `"v": 1` and a `type`. The client subscribes to topics (`thread:<id>`, `board:<slug>`), optionally
 * after the last post id it has seen, and gets each new post once, in id order.
 */
import type { LiveSocket, LiveSocketHandler } from '../../gateway/live/index.ts';
import { CLOSE } from '../../gateway/live/index.ts';
import { parseTopic, type LiveFeed, type LivePost, type Subscriber, type Topic } from './feed.ts';

export const PROTOCOL_VERSION = 1;

/**
 * The protocol's own close codes (RFC 6455 keeps 4000-4999 for applications), after the HTTP status
 * they stand for; docs/live.md lists them with the standard ones.
 */
export const APP_CLOSE = {
  /** A subscription named a thread or board that does not exist, or a topic of neither form. */
  UNKNOWN_TOPIC: 4404,
  /** One subscription more than the connection may hold. */
  TOO_MANY_SUBSCRIPTIONS: 4429,
} as const;

export type ErrorCode = 'bad_frame' | 'unknown_topic' | 'too_many_subscriptions' | 'unsupported_version';

export interface SocketProtocolOptions {
  readonly feed: LiveFeed;
  readonly maxSubscriptions: number;
}

const EXAMPLE = '{"v":1,"type":"subscribe","topic":"thread:12","after":345}';

/** A post's frame for one topic; the same text for every subscriber of that topic, so made once. */
const frames = new WeakMap<LivePost, Map<string, string>>();
export function postFrame(topic: string, post: LivePost): string {
  let byTopic = frames.get(post);
  if (!byTopic) frames.set(post, (byTopic = new Map()));
  let text = byTopic.get(topic);
  if (text === undefined) byTopic.set(topic, (text = `{"v":1,"type":"post","topic":${JSON.stringify(topic)},"id":${post.id},"post":${post.json}}`));
  return text;
}

const frame = (message: Record<string, unknown>): string => JSON.stringify({ v: PROTOCOL_VERSION, ...message });

/**
 * The handler of one connection's frames.
 *
 * @example
 * createWebSocketEndpoint({ …, open: (socket) => openLiveSocket(socket, { feed, maxSubscriptions: 100 }) });
 */
export function openLiveSocket(socket: LiveSocket, { feed, maxSubscriptions }: SocketProtocolOptions): LiveSocketHandler {
  const held = new Map<string, { topic: Topic; subscriber: Subscriber }>();
  const error = (code: ErrorCode, message: string, topic?: string): void => void socket.send(frame({ type: 'error', code, message, ...(topic === undefined ? {} : { topic }) }));
  // A frame the protocol cannot serve: say why, then close (the client has a bug; carrying on would hide it).
  const refuse = (closeCode: number, code: ErrorCode, message: string, topic?: string): void => {
    error(code, message, topic);
    socket.close(closeCode, message);
  };
  const stop = (key: string): boolean => {
    const subscription = held.get(key);
    if (!subscription) return false;
    feed.unsubscribe(subscription.topic, subscription.subscriber);
    held.delete(key);
    return true;
  };

  const subscribe = (text: unknown, after: unknown): void => {
    if (typeof text !== 'string') return refuse(CLOSE.POLICY_VIOLATION, 'bad_frame', `subscribe needs a "topic" string, e.g. ${EXAMPLE}`);
    if (after !== undefined && (typeof after !== 'number' || !Number.isSafeInteger(after) || after < 0)) {
      return refuse(CLOSE.POLICY_VIOLATION, 'bad_frame', `"after" must be a post id (a whole number, 0 or more), e.g. ${EXAMPLE}`);
    }
    const parsed = parseTopic(text);
    if (!parsed) return refuse(APP_CLOSE.UNKNOWN_TOPIC, 'unknown_topic', `topic ${JSON.stringify(text).slice(0, 80)} is not "thread:<id>" or "board:<slug>"`, text.slice(0, 80));
    const topic = feed.resolve(parsed);
    if (!topic) {
      const what = parsed.kind === 'thread' ? `thread ${parsed.id} does not exist` : `board "${parsed.slug}" does not exist`;
      return refuse(APP_CLOSE.UNKNOWN_TOPIC, 'unknown_topic', what, parsed.key);
    }
    // Subscribing again restarts the subscription (from the new "after"), so it never counts twice.
    stop(topic.key);
    if (held.size >= maxSubscriptions) {
      return refuse(
        APP_CLOSE.TOO_MANY_SUBSCRIPTIONS,
        'too_many_subscriptions',
        `a connection may follow at most ${maxSubscriptions} topics; unsubscribe from one first`,
        topic.key,
      );
    }
    const subscriber: Subscriber = { deliver: (key, post) => void socket.send(postFrame(key, post)) };
    held.set(topic.key, { topic, subscriber });
    const { last, missed } = feed.subscribe(topic, subscriber, after as number | undefined);
    socket.send(frame({ type: 'subscribed', topic: topic.key, last }));
    if (missed === 'not_recovered') socket.send(frame({ type: 'not_recovered', topic: topic.key, last }));
    else for (const post of missed) socket.send(postFrame(topic.key, post));
  };

  return {
    message(text) {
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        return refuse(CLOSE.INVALID_PAYLOAD, 'bad_frame', `a frame must be one JSON object, e.g. ${EXAMPLE}`);
      }
      if (typeof message !== 'object' || message === null || Array.isArray(message)) {
        return refuse(CLOSE.INVALID_PAYLOAD, 'bad_frame', `a frame must be one JSON object, e.g. ${EXAMPLE}`);
      }
      const { v, type, topic, after } = message as Record<string, unknown>;
      if (v !== PROTOCOL_VERSION) {
        return refuse(CLOSE.POLICY_VIOLATION, 'unsupported_version', `every frame needs "v": ${PROTOCOL_VERSION} (the only protocol version), e.g. ${EXAMPLE}`);
      }
      switch (type) {
        case 'ping':
          return void socket.send(frame({ type: 'pong' }));
        case 'subscribe':
          return subscribe(topic, after);
        case 'unsubscribe':
          if (typeof topic !== 'string') return refuse(CLOSE.POLICY_VIOLATION, 'bad_frame', 'unsubscribe needs the "topic" string it subscribed to');
          stop(topic);
          return void socket.send(frame({ type: 'unsubscribed', topic }));
        default:
          return refuse(CLOSE.POLICY_VIOLATION, 'bad_frame', `unknown "type" ${JSON.stringify(type)?.slice(0, 40)}; use "subscribe", "unsubscribe" or "ping"`);
      }
    },
    closed() {
      for (const key of [...held.keys()]) stop(key);
    },
  };
}
