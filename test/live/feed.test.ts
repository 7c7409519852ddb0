/**
 * The live feed on the TS server, with the real legacy app writing and notifying, through the Node
 * edge: the SSE feed in legacy's format with catch-up and its reset, the WebSocket API and its refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startStack, type Stack } from '../helpers/stack.ts';
import { login, openLive, openSse, reply, startThread, until, type LiveClient } from './helpers.ts';

let stack: Stack;
let cookie: string;
const clients: { close(): void }[] = [];
const live = async (): Promise<LiveClient> => {
  const client = await openLive(stack.front.url);
  clients.push({ close: () => client.ws.terminate() });
  return client;
};
const sse = (path: string, headers: Record<string, string> = {}) => {
  const stream = openSse(stack.front.url, path, headers);
  clients.push(stream);
  return stream;
};

beforeAll(async () => {
  stack = await startStack('edge', { LIVE_REPLAY_MAX_POSTS: '3', LIVE_MAX_SUBSCRIPTIONS: '3', LIVE_MAX_FRAME_BYTES: '1024', LIVE_HEARTBEAT_MS: '1000' });
  cookie = await login(stack.legacy.url);
});
afterAll(async () => {
  for (const client of clients) client.close();
  await stack?.stop();
});

describe('GET /live/t/<id> (server-sent events) on the TS server', () => {
  it('opens with legacy’s headers and comment, then streams a post made on legacy as an event', async () => {
    const stream = sse('/live/t/1');
    await until(() => stream.body().startsWith(': connected\n\n'), 'the opening comment');
    expect(stream.text()).toMatch(/^HTTP\/1.1 200 OK\r\n/);
    expect(stream.text()).toMatch(/\r\nContent-Type: text\/event-stream; charset=utf-8\r\n/i);
    expect(stream.text()).toMatch(/\r\nCache-Control: no-store\r\n/i);
    // X-Accel-Buffering is for the front door: nginx, and the edge likewise, act on it and drop it.
    const post = await reply(stack.legacy.url, cookie, 1, 'live over SSE');
    const [event] = await stream.waitForEvents(1);
    expect(event).toMatchObject({ event: 'post', id: String(post.id) });
    expect(JSON.parse(event!.data!)).toMatchObject({ id: post.id, thread_id: 1, body: 'live over SSE', author: { username: 'alice' } });
  });

  it('replays exactly the posts after Last-Event-ID, in order, then the new ones', async () => {
    const first = await reply(stack.legacy.url, cookie, 2, 'missed one');
    const second = await reply(stack.legacy.url, cookie, 2, 'missed two');
    const stream = sse('/live/t/2', { 'last-event-id': String(first.id - 1) });
    const third = await (async () => {
      await stream.waitForEvents(2);
      return reply(stack.legacy.url, cookie, 2, 'after the catch-up');
    })();
    const events = await stream.waitForEvents(3);
    expect(events.map((e) => Number(e.id))).toEqual([first.id, second.id, third.id]);
    // One more post: the stream's next event is that one, so nothing was sent twice in between.
    const fourth = await reply(stack.legacy.url, cookie, 2, 'a marker after the catch-up');
    const all = await stream.waitForEvents(4);
    expect(all.map((e) => Number(e.id))).toEqual([first.id, second.id, third.id, fourth.id]);
  });

  it('sends one reset event, and no partial replay, when the gap is longer than the replay limit', async () => {
    const posts = [];
    for (let i = 0; i < 4; i += 1) posts.push(await reply(stack.legacy.url, cookie, 3, `gap ${i}`));
    const stream = sse('/live/t/3', { 'last-event-id': String(posts[0]!.id - 1) });
    const [event] = await stream.waitForEvents(1);
    expect(event).toMatchObject({ event: 'reset', id: String(posts[3]!.id) });
    expect(JSON.parse(event!.data!)).toEqual({ reason: 'not_recovered', topic: 'thread:3', last: posts[3]!.id });
    // One more post: the stream's next event is that one, so no part of the gap was replayed after the reset.
    const marker = await reply(stack.legacy.url, cookie, 3, 'a marker after the reset');
    const all = await stream.waitForEvents(2);
    expect(all.map((e) => e.id)).toEqual([String(posts[3]!.id), String(marker.id)]);
  });

  it('answers the forum’s 404 page for a thread that does not exist and 400 for a malformed id', async () => {
    const missing = await fetch(`${stack.front.url}/live/t/999999`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('thread 999999 does not exist');
    const malformed = await fetch(`${stack.front.url}/live/t/abc`);
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toContain('thread id must be a positive integer');
  });

  it('answers a HEAD with the stream’s headers and no stream held open', async () => {
    const res = await fetch(`${stack.front.url}/live/t/1`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(await res.text()).toBe('');
  });

  it('keeps a quiet stream alive with keepalive comments', async () => {
    const stream = sse('/live/t/4');
    await until(() => stream.body().includes(': keepalive\n\n'), 'a keepalive comment');
  });
});

describe('GET /api/v2/live (WebSocket, protocol v1) on the TS server', () => {
  it('delivers a legacy post to the thread’s and the board’s subscribers, and a new thread to the board’s', async () => {
    const client = await live();
    client.send({ v: 1, type: 'subscribe', topic: 'thread:5' });
    client.send({ v: 1, type: 'subscribe', topic: 'board:general' });
    await client.waitFor((f) => f.type === 'subscribed' && f.topic === 'board:general', 'the board subscription');
    const subscribed = client.frames.find((f) => f.type === 'subscribed' && f.topic === 'thread:5')!;
    expect(subscribed).toMatchObject({ v: 1, last: expect.any(Number) });
    const threadBoard = ((await (await fetch(`${stack.legacy.url}/api/v1/threads/5`)).json()) as { thread: { board: string } }).thread.board;
    const post = await reply(stack.legacy.url, cookie, 5, 'live over WebSocket');
    const onThread = await client.waitFor((f) => f.type === 'post' && f.topic === 'thread:5', 'the post on the thread topic');
    expect(onThread).toMatchObject({ v: 1, id: post.id, post: { id: post.id, body: 'live over WebSocket', author: { username: 'alice' } } });
    if (threadBoard === 'general') await client.waitFor((f) => f.type === 'post' && f.topic === 'board:general' && f.id === post.id, 'the post on the board topic');
    const made = await startThread(stack.legacy.url, cookie, 'general', 'A live thread');
    const first = await client.waitFor((f) => f.type === 'post' && f.topic === 'board:general' && f.id === made.post, 'the new thread on the board');
    expect(first.post).toMatchObject({ thread_id: made.thread });
  });

  it('resumes after the last id it saw, and answers a ping', async () => {
    const before = await reply(stack.legacy.url, cookie, 6, 'seen');
    const missed = await reply(stack.legacy.url, cookie, 6, 'missed');
    const client = await live();
    client.send({ v: 1, type: 'subscribe', topic: 'thread:6', after: before.id });
    const replayed = await client.waitFor((f) => f.type === 'post', 'the missed post');
    expect(replayed.id).toBe(missed.id);
    client.send({ v: 1, type: 'ping' });
    await client.waitFor((f) => f.type === 'pong', 'the pong');
    expect(client.frames.filter((f) => f.type === 'post')).toHaveLength(1);
  });

  it('says "not_recovered" instead of a partial replay when the gap is too long', async () => {
    const posts = [];
    for (let i = 0; i < 4; i += 1) posts.push(await reply(stack.legacy.url, cookie, 8, `ws gap ${i}`));
    const client = await live();
    client.send({ v: 1, type: 'subscribe', topic: 'thread:8', after: posts[0]!.id - 1 });
    await client.waitFor((f) => f.type === 'not_recovered', 'not_recovered');
    expect(client.frames.filter((f) => f.type === 'post')).toEqual([]);
  });

  it.each([
    ['a thread that does not exist', 'thread:999999', 'thread 999999 does not exist'],
    ['a board that does not exist', 'board:no-such-board', 'board "no-such-board" does not exist'],
    ['a topic of neither form', 'users:1', 'topic "users:1" is not "thread:<id>" or "board:<slug>"'],
  ])('closes with 4404 on a subscription to %s, after an error frame that names it', async (_name, topic, message) => {
    const client = await live();
    client.send({ v: 1, type: 'subscribe', topic: 'thread:1' });
    await client.waitFor((f) => f.type === 'subscribed', 'the first subscription');
    client.send({ v: 1, type: 'subscribe', topic });
    expect(await client.closed).toEqual({ code: 4404, reason: message });
    expect(client.frames.filter((f) => f.type === 'error')).toEqual([{ v: 1, type: 'error', code: 'unknown_topic', topic, message }]);
  });

  it('closes with 4429 on one subscription more than LIVE_MAX_SUBSCRIPTIONS, after an error frame; a resubscribe does not count twice', async () => {
    const client = await live();
    for (const topic of ['thread:1', 'thread:2', 'thread:3', 'thread:3']) client.send({ v: 1, type: 'subscribe', topic });
    await until(() => client.frames.filter((f) => f.type === 'subscribed').length === 4, 'four subscribed frames (thread:3 twice)');
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    client.send({ v: 1, type: 'subscribe', topic: 'thread:4' });
    const closed = await client.closed;
    expect(closed).toEqual({ code: 4429, reason: 'a connection may follow at most 3 topics; unsubscribe from one first' });
    expect(client.frames.filter((f) => f.type === 'error')).toEqual([{ v: 1, type: 'error', code: 'too_many_subscriptions', topic: 'thread:4', message: closed.reason }]);
  });

  it('cuts a close reason to 123 bytes on a character boundary; the error frame keeps the whole message', async () => {
    const client = await live();
    const topic = `board:${'é'.repeat(200)}`;
    client.send({ v: 1, type: 'subscribe', topic });
    const closed = await client.closed;
    expect(closed.code).toBe(4404);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
    expect(closed.reason).toMatch(/^topic "board:é+$/);
    const [error] = client.frames;
    expect(error).toEqual({ v: 1, type: 'error', code: 'unknown_topic', topic: topic.slice(0, 80), message: expect.stringMatching(/is not "thread:<id>" or "board:<slug>"$/) });
    expect(error!.message!.startsWith(closed.reason)).toBe(true);
  });

  it.each([
    ['text that is not JSON', 'not json', 1007, 'bad_frame', /one JSON object/],
    ['a JSON array', '[1]', 1007, 'bad_frame', /one JSON object/],
    ['a frame without "v": 1', '{"type":"ping"}', 1008, 'unsupported_version', /"v": 1/],
    ['an unknown type', '{"v":1,"type":"shout"}', 1008, 'bad_frame', /unknown "type" "shout"; use "subscribe"/],
    ['a subscribe with a bad "after"', '{"v":1,"type":"subscribe","topic":"thread:1","after":-1}', 1008, 'bad_frame', /"after" must be a post id/],
  ])('closes on %s with %s after an error frame that says why', async (_name, text, code, errorCode, message) => {
    const client = await live();
    client.send(text);
    expect((await client.closed).code).toBe(code);
    expect(client.frames).toEqual([{ v: 1, type: 'error', code: errorCode, message: expect.stringMatching(message) }]);
  });

  it('closes with 1003 on a binary frame and 1009 on a frame past LIVE_MAX_FRAME_BYTES', async () => {
    const binary = await live();
    binary.ws.send(Buffer.from('{"v":1,"type":"ping"}'), { binary: true });
    expect((await binary.closed).code).toBe(1003);
    const big = await live();
    big.send({ v: 1, type: 'subscribe', topic: `board:${'x'.repeat(2000)}` });
    expect((await big.closed).code).toBe(1009);
  });

  it('answers a plain GET without an upgrade with 426 and what to do', async () => {
    const res = await fetch(`${stack.front.url}/api/v2/live`);
    expect(res.status).toBe(426);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/WebSocket client/);
  });
});

describe('what the live feed holds', () => {
  const stats = async (): Promise<{ connections: number; subscriptions: number; max_connections: number }> => {
    const res = await fetch(`http://127.0.0.1:${stack.env.INTERNAL_PORT}/_internal/v1/live`, { headers: { authorization: `Bearer ${stack.env.STRANGLER_INTERNAL_TOKEN}` } });
    return (await res.json()) as { connections: number; subscriptions: number; max_connections: number };
  };

  it('lets go of every connection and subscription once clients leave, round after round', async () => {
    for (const client of clients.splice(0)) client.close();
    const settled = async (connections: number, subscriptions: number): Promise<void> => {
      let last = await stats();
      const deadline = Date.now() + 15_000;
      while ((last.connections !== connections || last.subscriptions !== subscriptions) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        last = await stats();
      }
      expect({ connections: last.connections, subscriptions: last.subscriptions }).toEqual({ connections, subscriptions });
    };
    await settled(0, 0);
    for (let round = 0; round < 3; round += 1) {
      const streams = Array.from({ length: 10 }, (_, i) => sse(`/live/t/${(i % 3) + 1}`));
      const sockets = await Promise.all(Array.from({ length: 10 }, () => live()));
      for (const [i, socket] of sockets.entries()) {
        socket.send({ v: 1, type: 'subscribe', topic: `thread:${(i % 3) + 1}` });
        socket.send({ v: 1, type: 'subscribe', topic: 'board:general' });
      }
      await Promise.all(sockets.map((socket) => socket.waitFor((f) => f.type === 'subscribed' && f.topic === 'board:general', 'both subscriptions')));
      await Promise.all(streams.map((stream) => until(() => stream.body().startsWith(': connected'), 'the stream')));
      await settled(20, 30);
      for (const client of clients.splice(0)) client.close();
      await settled(0, 0);
    }
  });
});
