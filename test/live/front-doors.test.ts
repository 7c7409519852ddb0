/**
 * The live feed through each front door (the Node edge, and nginx when installed) with a short proxy
 * timeout (proxy_timeout_s: 2): events stream unbuffered, the WebSocket upgrade reaches the TS live
 * service, and heartbeats keep idle connections open well past the timeout.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/processes.ts';
import { NGINX, startStack, type FrontDoorKind, type Stack } from '../helpers/stack.ts';
import { login, openLive, openSse, reply, until, type LiveClient, type RawSse } from './helpers.ts';

const DOORS: FrontDoorKind[] = NGINX.ok ? ['edge', 'nginx'] : ['edge'];
const PROXY_TIMEOUT_S = 2;

describe.each(DOORS)('live updates through the %s front door', (door) => {
  let stack: Stack;
  let cookie: string;
  const dir = tempDir('strangler-live-doors-');
  const open: { close(): void }[] = [];
  beforeAll(async () => {
    const routes = join(dir.dir, 'routes.yaml');
    writeFileSync(routes, readFileSync(join(ROOT, 'routes.yaml'), 'utf8').replace(/proxy_timeout_s: \d+/, `proxy_timeout_s: ${PROXY_TIMEOUT_S}`));
    stack = await startStack(door, { ROUTES: routes, LIVE_HEARTBEAT_MS: '800' });
    cookie = await login(stack.legacy.url);
  });
  afterAll(async () => {
    for (const client of open) client.close();
    await stack?.stop();
    dir.cleanup();
  });
  const keepalives = (stream: RawSse): number => stream.body().split(': keepalive\n\n').length - 1;

  it('streams each post as it is made, and keeps an idle stream open past the proxy timeout', async () => {
    const stream = openSse(stack.front.url, '/live/t/1');
    open.push(stream);
    await until(() => stream.body().startsWith(': connected\n\n'), 'the opening comment');
    const first = await reply(stack.legacy.url, cookie, 1, `first through ${door}`);
    await stream.waitForEvents(1);
    // Quiet for longer than proxy_timeout_s: the keepalives (every 0.4 to 0.8 s) hold it open.
    await until(() => keepalives(stream) >= 6, 'six keepalives', 20_000);
    expect(stream.isClosed()).toBe(false);
    const second = await reply(stack.legacy.url, cookie, 1, `second through ${door}`);
    const events = await stream.waitForEvents(2);
    expect(events.map((e) => Number(e.id))).toEqual([first.id, second.id]);
  });

  it('upgrades to the TS WebSocket API, pings within the proxy timeout and delivers after a long quiet', async () => {
    const client: LiveClient = await openLive(stack.front.url);
    open.push({ close: () => client.ws.terminate() });
    let pings = 0;
    client.ws.on('ping', () => (pings += 1));
    client.send({ v: 1, type: 'subscribe', topic: 'thread:2' });
    await client.waitFor((f) => f.type === 'subscribed', 'the subscription');
    await until(() => pings >= 6, 'six pings', 20_000);
    const post = await reply(stack.legacy.url, cookie, 2, `over ${door}`);
    const frame = await client.waitFor((f) => f.type === 'post', 'the post');
    expect(frame).toMatchObject({ v: 1, topic: 'thread:2', id: post.id });
  });
});
