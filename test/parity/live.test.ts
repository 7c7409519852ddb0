/**
 * Parity of the live feed's streams: the same request to legacy's feed (forum/live.py) and to the TS
 * one, read while both are open. The head's stream headers (names as spelled and values) and the body
 * bytes must agree: the opening, the catch-up after Last-Event-ID, and a post made while both listen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, openSse, reply, until, type RawSse } from '../live/helpers.ts';
import { startParityStack, type ParityStack } from './harness.ts';

const STREAM_HEADERS = /^(content-type|cache-control|x-accel-buffering):/i;

let stack: ParityStack;
let cookie: string;
const open: RawSse[] = [];
beforeAll(async () => {
  stack = await startParityStack();
  cookie = await login(stack.legacy.url);
});
afterAll(async () => {
  for (const stream of open) stream.close();
  await stack?.stop();
});

/** The same request to both sides. */
const both = (path: string, headers: Record<string, string> = {}): [RawSse, RawSse] => {
  const pair: [RawSse, RawSse] = [openSse(stack.legacy.url, path, headers), openSse(stack.ts.url, path, headers)];
  open.push(...pair);
  return pair;
};
const streamHead = (stream: RawSse): string[] => {
  const head = stream.text().slice(0, stream.text().indexOf('\r\n\r\n'));
  // Values and the spelling of names, as the other parity suites compare them; not their order.
  return head
    .split('\r\n')
    .filter((line) => STREAM_HEADERS.test(line))
    .sort();
};
const answeredBy = (stream: RawSse): string | undefined => /\r\nX-Strangler-Answered-By: (\w+)/i.exec(stream.text())?.[1];

describe('parity of GET /live/t/<id> (the live feed’s stream)', () => {
  it('opens alike and sends the posts after Last-Event-ID as the same bytes', async () => {
    const posts = [];
    for (const body of ['catch-up one', 'catch-up *two*', 'catch-up "three" – ünïcode']) posts.push(await reply(stack.legacy.url, cookie, 4, body));
    const [legacy, ts] = both('/live/t/4', { 'last-event-id': String(posts[0]!.id - 1) });
    await Promise.all([legacy.waitForEvents(3), ts.waitForEvents(3)]);
    expect(answeredBy(ts)).toBe('ts');
    expect(legacy.text().slice(0, 15)).toBe('HTTP/1.1 200 OK');
    expect(ts.text().slice(0, 15)).toBe('HTTP/1.1 200 OK');
    expect(streamHead(ts)).toEqual(streamHead(legacy));
    expect(streamHead(ts)).toHaveLength(3);
    expect(ts.body()).toBe(legacy.body());
    expect(ts.events().map((e) => Number(e.id))).toEqual(posts.map((p) => p.id));
  });

  it('sends a post made while both listen as the same bytes', async () => {
    const [legacy, ts] = both('/live/t/5');
    await until(() => legacy.body() === ': connected\n\n' && ts.body() === ': connected\n\n', 'both openings');
    await reply(stack.legacy.url, cookie, 5, 'made while both listen');
    await Promise.all([legacy.waitForEvents(1), ts.waitForEvents(1)]);
    expect(ts.body()).toBe(legacy.body());
  });
});
