/**
 * Legacy's change notification lost on the way: the real stack (legacy Python, TS server, one SQLite
 * file, each front door), with legacy reaching the TS internal listener through a relay that passes every
 * internal call but cuts the connection of each `POST /_internal/v1/changes` (what an unreachable or
 * refusing endpoint looks like to legacy). The relay stands in for the network only; users and markdown
 * calls go through it to the real TS server untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sessionCookie } from '../../bench/lib/login.ts';
import { freePort } from '../helpers/processes.ts';
import { NGINX, startStack, type FrontDoorKind, type Stack } from '../helpers/stack.ts';

const TTL_MS = 2_000;
const CHANGES_PATH = '/_internal/v1/changes';

interface Relay {
  readonly url: string;
  /** How many change notifications it cut. */
  cut(): number;
  close(): Promise<void>;
}

/** An HTTP relay to `port` that cuts every change notification and passes everything else. */
async function startRelay(port: number): Promise<Relay> {
  let cut = 0;
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith(CHANGES_PATH)) {
      cut++;
      req.socket.destroy();
      return;
    }
    const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut: () => cut,
    close: () =>
      new Promise((closed) => {
        server.close(() => closed());
        server.closeAllConnections();
      }),
  };
}

async function text(url: string, init?: RequestInit): Promise<{ status: number; body: string }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.text() };
}

const until = (at: number): Promise<void> => new Promise((done) => setTimeout(done, Math.max(0, at - Date.now())));

const doors: FrontDoorKind[] = NGINX.ok ? ['edge', 'nginx'] : ['edge'];

describe.each(doors)('a lost change notification, through the %s', (door) => {
  let stack: Stack;
  let relay: Relay;
  beforeAll(async () => {
    const internalPort = await freePort();
    relay = await startRelay(internalPort);
    // TS listens on internalPort; legacy calls it through the relay.
    stack = await startStack(door, { FORUM_PBKDF2_ITERATIONS: '1000', FORUM_CACHE_TTL_MS: String(TTL_MS), INTERNAL_PORT: String(internalPort), STRANGLER_INTERNAL_URL: relay.url });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await relay?.close();
  });

  it("keeps legacy's reply a success, serves the stored page until its TTL, and the reply once the TTL has passed", async () => {
    const front = stack.front.url;
    const cookie = await sessionCookie(stack.legacy.url, 'carol');
    const page = `${front}/t/1?per_page=200`;
    let provedStale = false;
    // A loaded machine may let the TTL pass before the stale read: that attempt proves nothing, try again.
    for (let attempt = 0; attempt < 4 && !provedStale; attempt++) {
      const sentAt = Date.now();
      await text(page);
      // The answer was stored after sentAt, so it is served until sentAt + TTL at least...
      const body = `lost-notification-${door}-${attempt}-${Date.now()}`;
      const posted = await text(`${front}/api/v1/threads/1/posts`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ body }) });
      expect(posted.status, posted.body).toBe(201);
      const filledBy = Date.now();
      const soon = await text(page);
      if (Date.now() < sentAt + TTL_MS) {
        expect(soon.body, 'the stored page, since nothing told TS of the reply').not.toContain(body);
        provedStale = true;
      }
      // ...and no longer than filledBy + TTL: a request sent after that renders the page afresh.
      await until(filledBy + TTL_MS + 1);
      expect((await text(page)).body).toContain(body);
    }
    expect(provedStale).toBe(true);
    expect(relay.cut()).toBeGreaterThan(0);
    // Legacy logged the failed notification and dropped it; the user's request was not failed by it.
    await expect.poll(() => stack.legacy.output.some((line) => line.includes('internal_call_failed') && line.includes('stale pages')), { timeout: 20_000 }).toBe(true);
  }, 120_000);
});
