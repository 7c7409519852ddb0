/**
 * The change bus across machines: a relay on Redis pub/sub with the same shape as the cluster's sibling
 * relay (gateway/process/siblings.ts), so `createChangeBus({ siblings: createRedisRelay(...) })` reaches
 * every TS process that shares the Redis server, on this machine and on others.
 *
 * Redis is a relay here, never a store: a message published while Redis is down is lost, and so is one
 * sent to a process whose subscription is down. Publishing never waits (no offline queue that grows
 * during an outage); the relay reconnects by itself. Whoever needs every change (a live feed) reads what
 * it missed from the database on its own schedule, so an outage delays, never loses.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import type { Logger } from '../log/index.ts';
import type { Siblings } from '../process/siblings.ts';

export interface RedisRelayOptions {
  /** `redis://host:port[/db]`, e.g. the REDIS_URL of the deployment. */
  readonly url: string;
  readonly logger: Logger;
  /** The pub/sub channel; processes that share it hear each other. Default `strangler:changes`. */
  readonly channel?: string;
  /** Longest wait between reconnection attempts. Default 2 s. */
  readonly maxReconnectDelayMs?: number;
}

export interface RedisRelay extends Siblings {
  /** Whether both connections (publish and subscribe) are up now and the subscription was made. */
  isConnected(): boolean;
  /** Close both connections. */
  close(): Promise<void>;
}

interface Envelope {
  readonly origin: string;
  readonly topic: string;
  readonly payload: unknown;
}

/**
 * @example
 * const relay = createRedisRelay({ url: process.env.REDIS_URL, logger });
 * const bus = createChangeBus({ logger, siblings: relay });
 * // at shutdown: await relay.close();
 */
export function createRedisRelay({ url, logger, channel = 'strangler:changes', maxReconnectDelayMs = 2_000 }: RedisRelayOptions): RedisRelay {
  // Messages this process published come back on its own subscription: the origin tells them apart.
  const origin = randomUUID();
  const handlers = new Map<string, ((payload: unknown) => void)[]>();
  const where = safeUrl(url);
  const options = {
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2_000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), maxReconnectDelayMs) },
  };
  const publisher = createClient(options);
  const subscriber = createClient(options);
  let down = false;
  let subscribed = false;
  // One line when Redis goes away and one when it is back, not one per failed attempt.
  const onError = (err: Error): void => {
    if (down) return;
    down = true;
    logger.warn({ event: 'redis_down', redis: where, err: err.message }, 'Redis is unreachable: changes reach only this process until it is back');
  };
  const onReady = (): void => {
    if (!down || !publisher.isReady || !subscriber.isReady) return;
    down = false;
    logger.info({ event: 'redis_up', redis: where }, 'Redis is reachable again');
  };
  for (const client of [publisher, subscriber]) {
    client.on('error', onError);
    client.on('ready', onReady);
  }
  const deliver = (message: string): void => {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(message) as Envelope;
    } catch {
      return logger.warn({ event: 'redis_message_invalid', channel }, 'a message on the changes channel is not JSON; ignored');
    }
    if (envelope.origin === origin) return;
    for (const handler of handlers.get(envelope.topic) ?? []) handler(envelope.payload);
  };
  // The first connection may fail (Redis not up yet): the clients keep retrying on their own.
  const connecting = Promise.all([
    publisher.connect().catch(onError),
    subscriber
      .connect()
      .then(() => subscriber.subscribe(channel, deliver))
      // After a reconnection the client subscribes again by itself.
      .then(() => {
        subscribed = true;
        logger.info({ event: 'redis_subscribed', redis: where, channel }, 'changes relayed through Redis');
      })
      .catch(onError),
  ]);
  return {
    send(topic, payload) {
      if (!publisher.isReady) return;
      publisher.publish(channel, JSON.stringify({ origin, topic, payload } satisfies Envelope)).catch(onError);
    },
    on(topic, handler) {
      handlers.set(topic, [...(handlers.get(topic) ?? []), handler]);
    },
    isConnected: () => subscribed && publisher.isReady && subscriber.isReady,
    async close() {
      await connecting;
      await Promise.all([publisher, subscriber].map((client) => (client.isOpen ? client.close().catch(() => client.destroy()) : client.destroy())));
    },
  };
}

/** The URL without its password, for log lines. */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable REDIS_URL)';
  }
}
