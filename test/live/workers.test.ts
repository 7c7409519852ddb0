/**
 * TS_WORKERS=2 without Redis: legacy notifies one worker, and the cluster's relay (the change bus
 * crosses workers) tells the other, whose clients get the post at once. The poll is set to ten minutes,
 * so nothing else could bring it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.ts';
import { login, openLive, reply, until, type LiveClient } from './helpers.ts';

describe('live posts across the workers of one TS server', () => {
  let stack: Stack;
  const clients: LiveClient[] = [];
  beforeAll(async () => {
    stack = await startStack('edge', { TS_WORKERS: '2', LIVE_POLL_MS: '600000', LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    for (const client of clients) client.ws.terminate();
    await stack?.stop();
  });

  it('delivers a post to the clients of both workers', async () => {
    // New connections are dealt round-robin between the workers: a few land on each.
    for (let i = 0; i < 6; i += 1) {
      const client = await openLive(stack.ts.url);
      clients.push(client);
      client.send({ v: 1, type: 'subscribe', topic: 'thread:1' });
      await client.waitFor((f) => f.type === 'subscribed', 'the subscription');
    }
    const workers = new Set(
      stack.ts.output
        .filter((line) => line.includes('"path":"/api/v2/live"'))
        .map((line) => (JSON.parse(line) as { worker?: number }).worker)
        .filter((worker) => worker !== undefined),
    );
    expect(workers.size).toBe(2);
    const post = await reply(stack.legacy.url, await login(stack.legacy.url), 1, 'to every worker');
    for (const client of clients) await client.waitFor((f) => f.type === 'post' && f.id === post.id, 'the post on every client');
    await until(() => clients.every((c) => c.frames.filter((f) => f.type === 'post').length === 1), 'one post each');
  });
});
