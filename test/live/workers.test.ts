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

  it('lets the clients of a worker that died reconnect and resume from their last id, missing nothing', async () => {
    const cookie = await login(stack.legacy.url);
    const seen = await reply(stack.legacy.url, cookie, 2, 'seen by all');
    const fleet: LiveClient[] = [];
    for (let i = 0; i < 6; i += 1) {
      const client = await openLive(stack.ts.url);
      clients.push(client);
      fleet.push(client);
      client.send({ v: 1, type: 'subscribe', topic: 'thread:2', after: seen.id - 1 });
      await client.waitFor((f) => f.type === 'post' && f.id === seen.id, 'the first post');
    }
    const pids = stack.ts.output.filter((line) => line.includes('"event":"worker_listening"')).map((line) => (JSON.parse(line) as { pid: number }).pid);
    process.kill(pids[0]!, 'SIGKILL');
    // Each client is either cut or proves its worker alive by answering a subscription: on a busy machine
    // the dead worker's clients learn of it one by one, so the first close says nothing of the others.
    for (const client of fleet) if (client.ws.readyState === client.ws.OPEN) client.send({ v: 1, type: 'subscribe', topic: 'thread:1' });
    await until(
      () => fleet.every((c) => c.ws.readyState === c.ws.CLOSED || c.frames.some((f) => f.type === 'subscribed' && f.topic === 'thread:1')),
      'each client cut, or answered by its live worker',
    );
    const cut = fleet.filter((client) => client.ws.readyState === client.ws.CLOSED);
    expect(cut.length).toBeGreaterThan(0);
    expect(cut.length).toBeLessThan(fleet.length);
    const missed = await reply(stack.legacy.url, cookie, 2, 'while they were away');
    const back: LiveClient[] = [];
    for (const client of cut) {
      const last = Math.max(...client.frames.filter((f) => f.type === 'post').map((f) => f.id!));
      const again = await openLive(stack.ts.url);
      clients.push(again);
      back.push(again);
      again.send({ v: 1, type: 'subscribe', topic: 'thread:2', after: last });
    }
    for (const client of [...fleet.filter((c) => !cut.includes(c)), ...back]) {
      await client.waitFor((f) => f.type === 'post' && f.id === missed.id, 'the post made while some were away');
      expect(client.frames.filter((f) => f.type === 'post' && f.id === missed.id)).toHaveLength(1);
    }
  });
});
