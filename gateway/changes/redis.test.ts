import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_REDIS, startRedis, type TestRedis } from '../../test/helpers/redis.ts';
import { createChangeBus, type Change } from './index.ts';
import { createRedisRelay, type RedisRelay } from './redis.ts';

const logger = pino({ level: 'silent' });

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!HAS_REDIS)('createRedisRelay with a real redis-server', () => {
  let redis: TestRedis;
  const relays: RedisRelay[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(relays.map((relay) => relay.close()));
    await redis?.stop();
  });

  const pair = () => {
    const [one, two] = [createRedisRelay({ url: redis.url, logger, maxReconnectDelayMs: 200 }), createRedisRelay({ url: redis.url, logger, maxReconnectDelayMs: 200 })];
    relays.push(one, two);
    const heard: { one: Change[]; two: Change[] } = { one: [], two: [] };
    const busOne = createChangeBus({ logger, siblings: one });
    const busTwo = createChangeBus({ logger, siblings: two });
    busOne.subscribe((changes) => heard.one.push(...changes));
    busTwo.subscribe((changes) => heard.two.push(...changes));
    return { one, two, busOne, busTwo, heard };
  };

  it('carries a change to the other process once, and not back to the one that published it', async () => {
    const { one, two, busOne, heard } = pair();
    await until(() => one.isConnected() && two.isConnected(), 'both relays to connect');
    busOne.publish([{ kind: 'post', thread: 1 }]);
    await until(() => heard.two.length > 0, 'the change on the other bus');
    // A second change, in order after the first: once it is heard, a repeat of the first would have been too.
    busOne.publish([{ kind: 'post', thread: 9 }]);
    await until(() => heard.two.length > 1, 'the second change on the other bus');
    expect(heard.two).toEqual([
      { kind: 'post', thread: 1 },
      { kind: 'post', thread: 9 },
    ]);
    expect(heard.one).toEqual([
      { kind: 'post', thread: 1 },
      { kind: 'post', thread: 9 },
    ]);
  });

  it('keeps telling local subscribers while Redis is down, and relays again once it is back', async () => {
    const { one, two, busOne, heard } = pair();
    await until(() => one.isConnected() && two.isConnected(), 'both relays to connect');
    await redis.stop();
    await until(() => !one.isConnected() && !two.isConnected(), 'both relays to notice the outage');
    busOne.publish([{ kind: 'post', thread: 2 }]);
    expect(heard.one).toEqual([{ kind: 'post', thread: 2 }]);
    await redis.start();
    await until(() => one.isConnected() && two.isConnected(), 'both relays to reconnect', 20_000);
    // Resubscribed by itself: a change published now crosses again (the one from the outage is gone).
    let sent = 0;
    const deadline = Date.now() + 10_000;
    while (!heard.two.some((change) => change.thread === 3) && Date.now() < deadline) {
      busOne.publish([{ kind: 'post', thread: 3 }]);
      sent += 1;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(heard.two.some((change) => change.thread === 3)).toBe(true);
    expect(heard.two.some((change) => change.thread === 2)).toBe(false);
    expect(sent).toBeGreaterThan(0);
  });
});
