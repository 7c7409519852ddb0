/**
 * The live feed's faults against real processes: legacy's change notifications refused (the poll
 * finds the posts in the database), the connection ceiling, and a TS restart that clients get over by
 * reconnecting with their last id.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, TEST_INTERNAL_TOKEN } from '../helpers/processes.ts';
import { startStack, startTs, type Stack } from '../helpers/stack.ts';
import type { RunningProcess } from '../../gateway/process/index.ts';
import { login, openLive, openSse, reply, until } from './helpers.ts';

/**
 * Between legacy and the TS server's internal listener: passes every call on, except the change
 * notifications, which it refuses with 503 (the TS side "down" for exactly that endpoint).
 */
async function refuseChanges(tsInternalPort: number): Promise<{ url: string; refused: () => number; close(): Promise<void> }> {
  let refused = 0;
  const server: Server = createServer((req, res) => {
    if ((req.url ?? '').startsWith('/_internal/v1/changes')) {
      refused += 1;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":"unavailable","message":"refused by the test"}}');
      return;
    }
    const upstream = request({ host: '127.0.0.1', port: tsInternalPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refused: () => refused,
    close: () => new Promise((done) => (server.closeAllConnections(), server.close(() => done()))),
  };
}

let stack: Stack;
let filter: Awaited<ReturnType<typeof refuseChanges>>;
let restarted: RunningProcess | undefined;
let cookie: string;
const cleanups: (() => void)[] = [];

let internalPort: number;

/** How many live connections the TS server holds now (its internal stats endpoint). */
async function liveConnections(): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${internalPort}/_internal/v1/live`, { headers: { authorization: `Bearer ${TEST_INTERNAL_TOKEN}` } });
  return ((await res.json()) as { connections: number }).connections;
}

beforeAll(async () => {
  internalPort = await freePort();
  filter = await refuseChanges(internalPort);
  stack = await startStack('edge', {
    INTERNAL_PORT: String(internalPort),
    STRANGLER_INTERNAL_URL: filter.url,
    LIVE_POLL_MS: '300',
    LIVE_MAX_CONNECTIONS: '3',
    LOG_LEVEL: 'info',
  });
  cookie = await login(stack.legacy.url);
});
afterAll(async () => {
  for (const cleanup of cleanups) cleanup();
  await restarted?.stop();
  await stack?.stop();
  await filter?.close();
});

describe('the live feed when legacy’s change notifications do not arrive', () => {
  it('still delivers legacy’s posts, read from the database by the poll, over SSE and WebSocket', async () => {
    const stream = openSse(stack.front.url, '/live/t/1');
    cleanups.push(stream.close);
    const client = await openLive(stack.front.url);
    cleanups.push(() => client.ws.terminate());
    client.send({ v: 1, type: 'subscribe', topic: 'thread:1' });
    await client.waitFor((f) => f.type === 'subscribed', 'the subscription');
    const post = await reply(stack.legacy.url, cookie, 1, 'no notification for this one');
    await until(() => filter.refused() > 0, 'legacy to try (and fail) to notify');
    const [event] = await stream.waitForEvents(1);
    expect(event).toMatchObject({ event: 'post', id: String(post.id) });
    const frame = await client.waitFor((f) => f.type === 'post', 'the post over the WebSocket');
    expect(frame.id).toBe(post.id);
    stream.close();
    client.ws.close();
  });
});

describe('the connection ceiling (LIVE_MAX_CONNECTIONS=3)', () => {
  it('answers 503 to one stream too many and closes one WebSocket too many with 1013', async () => {
    // The clients of the test before may still be leaving: wait for all three places.
    const held: { close(): void }[] = [];
    for (let i = 0; i < 3; i += 1) {
      const stream = openSse(stack.front.url, '/live/t/2');
      held.push(stream);
      cleanups.push(stream.close);
      await until(() => stream.body().startsWith(': connected') || stream.text().startsWith('HTTP/1.1 503'), 'the stream to open or be refused');
      if (stream.text().startsWith('HTTP/1.1 503')) {
        // A place not yet freed by the test before: try again in a moment.
        stream.close();
        held.pop();
        i -= 1;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const refused = await fetch(`${stack.front.url}/live/t/2`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.text()).toMatch(/connection limit/);
    const ws = await openLive(stack.front.url);
    expect(await ws.closed).toMatchObject({ code: 1013, reason: expect.stringMatching(/try again later/) });
    for (const client of held) client.close();
  });
});

describe('a TS restart', () => {
  it('ends streams (WebSocket close 1001); clients reconnect and resume from their last id, missing nothing', async () => {
    // The ceiling test's connections are closed by the client; wait until the server has let go of them.
    const deadline = Date.now() + 15_000;
    while ((await liveConnections()) > 0) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the ceiling test’s connections to close');
      await new Promise((r) => setTimeout(r, 25));
    }
    const stream = openSse(stack.front.url, '/live/t/3');
    cleanups.push(stream.close);
    await until(() => stream.body().startsWith(': connected'), 'the stream');
    const client = await openLive(stack.front.url);
    cleanups.push(() => client.ws.terminate());
    client.send({ v: 1, type: 'subscribe', topic: 'thread:3' });
    await client.waitFor((f) => f.type === 'subscribed', 'the subscription');
    const seen = await reply(stack.legacy.url, cookie, 3, 'before the restart');
    await stream.waitForEvents(1);
    await client.waitFor((f) => f.type === 'post' && f.id === seen.id, 'the first post');

    await stack.ts.stop();
    // The stream ends as a complete answer (the last chunk), not a cut connection.
    await until(() => stream.text().endsWith('\r\n0\r\n\r\n'), 'the stream to end');
    expect((await client.closed).code).toBe(1001);
    restarted = await startTs(stack.env);
    // Written before the clients are back (legacy cannot post without the TS side: it renders markdown).
    const missed = await reply(stack.legacy.url, cookie, 3, 'while the clients were away');

    const lastEventId = stream.events().at(-1)!.id!;
    const again = openSse(stack.front.url, '/live/t/3', { 'last-event-id': lastEventId });
    cleanups.push(again.close);
    const [event] = await again.waitForEvents(1);
    expect(event).toMatchObject({ event: 'post', id: String(missed.id) });
    const resumed = await openLive(stack.front.url);
    cleanups.push(() => resumed.ws.terminate());
    resumed.send({ v: 1, type: 'subscribe', topic: 'thread:3', after: seen.id });
    const frame = await resumed.waitFor((f) => f.type === 'post', 'the missed post');
    expect(frame.id).toBe(missed.id);
    const after = await reply(stack.legacy.url, cookie, 3, 'after the restart');
    await again.waitForEvents(2);
    await resumed.waitFor((f) => f.type === 'post' && f.id === after.id, 'the next post');
    expect(again.events().map((e) => Number(e.id))).toEqual([missed.id, after.id]);
    expect(resumed.frames.filter((f) => f.type === 'post').map((f) => f.id)).toEqual([missed.id, after.id]);
  });
});
