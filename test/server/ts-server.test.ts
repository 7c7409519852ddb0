/**
 * The TS server as a real process next to the real legacy app, on the repository's routes.yaml: what it
 * answers itself, what it hands to legacy, and how it behaves when things go wrong.
 */
import { createServer, type Server } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir, type RunningProcess } from '../helpers/processes.ts';
import { seedDatabase, waitUntil as waitFor } from '../helpers/processes.ts';
import { runTs, startPair, type Pair } from './pair.ts';

const loggedLines = (process: RunningProcess, requestId: string): string[] => process.output.filter((line) => line.includes(requestId));

async function logIn(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
  });
  expect(res.status).toBe(200);
  return res.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

describe('the TS server on the repository route table', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair();
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it('answers GET /api/v1/threads/1 itself: the request is in its log and not in legacy’s', async () => {
    const res = await fetch(`${pair.ts.url}/api/v1/threads/1`, { headers: { 'x-request-id': 'ts-owned-get-0001' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { thread: { id: number } }).thread.id).toBe(1);
    await waitFor(() => loggedLines(pair.ts, 'ts-owned-get-0001').length > 0, 'the TS request log line');
    expect(JSON.parse(loggedLines(pair.ts, 'ts-owned-get-0001')[0]!)).toMatchObject({ event: 'request', backend: 'ts', status: 200 });
    expect(loggedLines(pair.legacy, 'ts-owned-get-0001')).toEqual([]);
  });

  it('sends a reply under the moved prefix to legacy, and the next TS GET shows it', async () => {
    const cookie = await logIn(pair.ts.url);
    const body = `a reply through the TS server ${Date.now()}`;
    const reply = await fetch(`${pair.ts.url}/api/v1/threads/1/posts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-request-id': 'reply-through-ts-0001' },
      body: JSON.stringify({ body }),
    });
    expect(reply.status).toBe(201);
    const { post } = (await reply.json()) as { post: { id: number; body: string } };
    expect(post.body).toBe(body);
    await waitFor(() => loggedLines(pair.legacy, 'reply-through-ts-0001').length > 0, 'the legacy request log line');

    const thread = (await (await fetch(`${pair.ts.url}/api/v1/threads/1?per_page=200`)).json()) as { posts: { id: number; body: string }[] };
    expect(thread.posts.at(-1)).toMatchObject({ id: post.id, body });
  });

  it('keeps reading while legacy writes to the same SQLite file: no busy errors, every reply visible', async () => {
    const cookie = await logIn(pair.ts.url);
    const before = ((await (await fetch(`${pair.ts.url}/api/v1/threads/2`)).json()) as { total: number }).total;
    const writes = Array.from({ length: 20 }, (_, i) =>
      fetch(`${pair.ts.url}/api/v1/threads/2/posts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify({ body: `concurrent ${i}` }),
      }),
    );
    const reads = Array.from({ length: 60 }, () => fetch(`${pair.ts.url}/api/v1/threads/2?per_page=200`));
    const [written, read] = await Promise.all([Promise.all(writes), Promise.all(reads)]);
    expect(written.map((res) => res.status)).toEqual(Array(20).fill(201));
    expect(read.map((res) => res.status)).toEqual(Array(60).fill(200));
    const after = (await (await fetch(`${pair.ts.url}/api/v1/threads/2`)).json()) as { total: number; thread: { post_count: number } };
    expect(after.total).toBe(before + 20);
    expect(after.thread.post_count).toBe(after.total);
  });

  it('passes a 5 MB reply body through to legacy and brings back its 413 whole, then keeps serving', async () => {
    const cookie = await logIn(pair.ts.url);
    const big = JSON.stringify({ body: 'x'.repeat(5 * 1024 * 1024) });
    const res = await fetch(`${pair.ts.url}/api/v1/threads/1/posts`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: big });
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('{"error":{"code":"too_large","message":"the request body is larger than 1 MiB"}}');
    expect((await fetch(`${pair.ts.url}/api/v1/boards`)).status).toBe(200);
    expect(pair.ts.child.exitCode).toBeNull();
  });
});

describe('TS server start-up and signals', () => {
  let pair: Pair | undefined;
  let blocker: Server | undefined;
  afterEach(async () => {
    await pair?.stop();
    pair = undefined;
    await new Promise((done) => (blocker ? blocker.close(done) : done(undefined)));
    blocker = undefined;
  });

  it('refuses to start when a route names a handler that is not mounted, naming it and the mounted ones', () => {
    const { dir, cleanup } = tempDir();
    try {
      const routes = join(dir, 'routes.yaml');
      writeFileSync(routes, readFileSync(join(ROOT, 'routes.yaml'), 'utf8') + '  - { path: /api/v1/profile, exact: true, mode: next, handler: profile, methods: [GET] }\n');
      const result = runTs({ ROUTES: routes, FORUM_DB: seedDatabase(dir) });
      expect(result.status).toBe(1);
      expect(result.stdout).toContain('handlers that are not mounted: \\"profile\\"');
      // Names the mounted ones without pinning the example's list, which grows with every moved endpoint.
      expect(result.stdout).toMatch(/mounted services: (\\"[a-z-]+\\"(, )?)*\\"threads\\"/);
    } finally {
      cleanup();
    }
  });

  it('exits 1 saying how to create the database when FORUM_DB does not exist', () => {
    const result = runTs({ FORUM_DB: '/nonexistent/forum.db' });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('the forum database /nonexistent/forum.db does not exist');
    expect(result.stdout).toContain('python3 legacy-python/seed.py --db /nonexistent/forum.db --size tiny');
  });

  it.each([
    ['is not set', '', 'STRANGLER_INTERNAL_TOKEN is not set'],
    ['is under 32 bytes', 'x'.repeat(31), 'STRANGLER_INTERNAL_TOKEN is 31 bytes long, too short to be a secret'],
  ])('refuses to start when the internal token %s, saying how to make one', (_case, token, message) => {
    const { dir, cleanup } = tempDir();
    try {
      const result = runTs({ STRANGLER_INTERNAL_TOKEN: token, FORUM_DB: seedDatabase(dir) });
      expect(result.status).toBe(1);
      expect(result.stdout).toContain(message);
      expect(result.stdout).toContain('openssl rand -hex 32');
      expect(result.stdout).not.toContain('"listening"');
    } finally {
      cleanup();
    }
  });

  it("exits 1 naming INTERNAL_PORT when the internal listener's port is taken", async () => {
    blocker = createServer();
    const port = await new Promise<number>((done) => blocker!.listen(0, '127.0.0.1', () => done((blocker!.address() as { port: number }).port)));
    const { dir, cleanup } = tempDir();
    try {
      const result = runTs({ INTERNAL_PORT: String(port), FORUM_DB: seedDatabase(dir) });
      expect(result.status).toBe(1);
      expect(result.stdout).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(result.stdout).toContain('INTERNAL_PORT');
    } finally {
      cleanup();
    }
  });

  it('exits 1 with a clear message when its port is taken', async () => {
    blocker = createServer();
    const port = await new Promise<number>((done) => blocker!.listen(0, '127.0.0.1', () => done((blocker!.address() as { port: number }).port)));
    const { dir, cleanup } = tempDir();
    try {
      const result = runTs({ TS_PORT: String(port), FORUM_DB: seedDatabase(dir) });
      expect(result.status).toBe(1);
      expect(result.stdout).toContain(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      cleanup();
    }
  });

  it('keeps serving on the last good table when a SIGHUP reload finds a bad one, and applies a good one', async () => {
    const table = (routes: string): string =>
      `version: 1\nbackends:\n  legacy: { url: "http://127.0.0.1:\${LEGACY_PORT}" }\n  ts: { url: "http://127.0.0.1:\${TS_PORT}" }\nroutes:\n  - { path: /, mode: legacy }\n${routes}`;
    const threadsOnly = '  - { path: /api/v1/threads, mode: next, handler: threads, methods: [GET] }\n';
    const boardsToo = `${threadsOnly}  - { path: /api/v1/boards, exact: true, mode: next, handler: boards, methods: [GET] }\n`;
    pair = await startPair({
      tsEnv: (dir) => {
        writeFileSync(join(dir, 'routes.yaml'), table(boardsToo));
        return { ROUTES: join(dir, 'routes.yaml') };
      },
    });
    const routes = join(pair.dir, 'routes.yaml');
    writeFileSync(routes, 'version: 1\nroutes: [this is not a route table\n');
    pair.ts.child.kill('SIGHUP');
    await waitFor(() => pair!.ts.output.some((line) => line.includes('routes_reload_refused')), 'the refused reload');
    const kept = await fetch(`${pair.ts.url}/api/v1/boards`, { headers: { 'x-request-id': 'after-bad-reload-01' } });
    expect(kept.status).toBe(200);
    await waitFor(() => loggedLines(pair!.ts, 'after-bad-reload-01').length > 0, 'the TS request log line');
    expect(JSON.parse(loggedLines(pair.ts, 'after-bad-reload-01')[0]!)).toMatchObject({ backend: 'ts' });

    // Rolling boards back to legacy takes effect on the next request.
    writeFileSync(routes, table(threadsOnly));
    pair.ts.child.kill('SIGHUP');
    await waitFor(() => pair!.ts.output.some((line) => line.includes('routes_reloaded')), 'the reload');
    expect((await fetch(`${pair.ts.url}/api/v1/boards`, { headers: { 'x-request-id': 'after-good-reload-1' } })).status).toBe(200);
    await waitFor(() => loggedLines(pair!.legacy, 'after-good-reload-1').length > 0, 'legacy answering boards');
  });

  it('keeps answering its own GETs when legacy is down and answers 502 for what it proxies', async () => {
    pair = await startPair();
    await pair.legacy.stop();
    expect((await fetch(`${pair.ts.url}/api/v1/threads/1`)).status).toBe(200);
    expect((await fetch(`${pair.ts.url}/api/v1/boards`)).status).toBe(200);
    const reply = await fetch(`${pair.ts.url}/api/v1/threads/1/posts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"body":"hi"}' });
    expect(reply.status).toBe(502);
    expect((await fetch(`${pair.ts.url}/login`)).status).toBe(502);
  });

  it('finishes a request in flight on SIGTERM, refuses new connections, then exits 0', async () => {
    // Legacy's live stream of a thread ends by itself after FORUM_LIVE_MAX_SECONDS: a slow request to drain.
    // The table keeps /live on legacy (routes.yaml moved it to TS, whose own streams end at once on SIGTERM).
    const legacyLive =
      'version: 1\nbackends:\n  legacy: { url: "http://127.0.0.1:${LEGACY_PORT}" }\n  ts: { url: "http://127.0.0.1:${TS_PORT}" }\nroutes:\n  - { path: /, mode: legacy }\n  - { path: /api/v1/boards, exact: true, mode: next, handler: boards, methods: [GET] }\n';
    pair = await startPair({
      legacyEnv: { FORUM_LIVE_MAX_SECONDS: '1.5' },
      tsEnv: (dir) => {
        writeFileSync(join(dir, 'routes.yaml'), legacyLive);
        return { ROUTES: join(dir, 'routes.yaml') };
      },
    });
    const exited = new Promise<number | null>((done) => pair!.ts.child.once('exit', (code) => done(code)));
    const stream = await fetch(`${pair.ts.url}/live/t/1`);
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain(': connected');

    pair.ts.child.kill('SIGTERM');
    await waitFor(() => pair!.ts.output.some((line) => line.includes('"draining"')), 'the drain to start');
    await expect(fetch(`${pair.ts.url}/api/v1/boards`)).rejects.toThrow();
    // A cut connection would make read() reject here; a drained one ends the stream normally.
    while (!(await reader.read()).done);
    expect(await exited).toBe(0);
  });
});
