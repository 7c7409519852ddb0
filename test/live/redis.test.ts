/**
 * Two TS processes on one database with REDIS_URL set and a real redis-server: legacy notifies only the
 * first, and a client of the second still gets the post at once (through Redis; its poll is set to ten
 * minutes, so nothing else could bring it). Redis stopped: the first keeps serving its own clients;
 * Redis back: both reconnect by themselves and the next change brings the second's clients everything
 * they missed, in order, from the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../gateway/process/index.ts';
import { HAS_REDIS, startRedis, type TestRedis } from '../helpers/redis.ts';
import { startStack, startTs, type Stack } from '../helpers/stack.ts';
import { login, openLive, reply, until, type LiveClient } from './helpers.ts';

describe.skipIf(!HAS_REDIS)('live posts across two TS processes through Redis', () => {
  let redis: TestRedis;
  let stack: Stack;
  let second: RunningProcess;
  let cookie: string;
  const clients: LiveClient[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, LIVE_POLL_MS: '600000', LOG_LEVEL: 'info' };
    stack = await startStack('edge', env);
    second = await startTs({ ...stack.env, TS_PORT: '0', INTERNAL_PORT: '0' });
    cookie = await login(stack.legacy.url);
  });
  afterAll(async () => {
    for (const client of clients) client.ws.terminate();
    await second?.stop();
    await stack?.stop();
    await redis?.stop();
  });

  const subscribed = async (url: string, topic: string): Promise<LiveClient> => {
    const client = await openLive(url);
    clients.push(client);
    client.send({ v: 1, type: 'subscribe', topic });
    await client.waitFor((f) => f.type === 'subscribed', `the subscription on ${url}`);
    return client;
  };
  const postIds = (client: LiveClient): number[] => client.frames.filter((f) => f.type === 'post').map((f) => f.id!);
  const logged = (process: RunningProcess, event: string): boolean => process.output.some((line) => line.includes(`"event":"${event}"`));

  it('delivers a post notified to one process to the clients of the other', async () => {
    const onFirst = await subscribed(stack.ts.url, 'thread:1');
    const onSecond = await subscribed(second.url, 'thread:1');
    // Both relays subscribed: a post published before that would reach only the first.
    await until(() => logged(stack.ts, 'redis_subscribed') && logged(second, 'redis_subscribed'), 'both relays to subscribe');
    const post = await reply(stack.legacy.url, cookie, 1, 'across processes');
    await onFirst.waitFor((f) => f.id === post.id, 'the post on the first process');
    await onSecond.waitFor((f) => f.id === post.id, 'the post on the second process');
  });

  it('serves local clients during a Redis outage and catches the other process up once Redis is back', async () => {
    const onFirst = await subscribed(stack.ts.url, 'thread:2');
    const onSecond = await subscribed(second.url, 'thread:2');
    await redis.stop();
    await until(() => logged(stack.ts, 'redis_down') && logged(second, 'redis_down'), 'both processes to notice the outage');
    const during = await reply(stack.legacy.url, cookie, 2, 'during the outage');
    await onFirst.waitFor((f) => f.id === during.id, 'the post on the process legacy notified');
    expect(postIds(onSecond)).toEqual([]);

    await redis.start();
    await until(() => logged(stack.ts, 'redis_up') && logged(second, 'redis_up'), 'both processes to reconnect', 30_000);
    // A subscription is made again a moment after the connection; until then a change may not cross.
    const deadline = Date.now() + 15_000;
    const after: number[] = [];
    while (!postIds(onSecond).length && Date.now() < deadline) {
      after.push((await reply(stack.legacy.url, cookie, 2, 'after the outage')).id);
      await new Promise((r) => setTimeout(r, 300));
    }
    await onSecond.waitFor((f) => f.id === after.at(-1), 'the posts after the outage');
    expect(postIds(onSecond)).toEqual([during.id, ...after]);
    await onFirst.waitFor((f) => f.id === after.at(-1), 'the same posts on the first process');
    expect(postIds(onFirst)).toEqual([during.id, ...after]);
  });
});
