/**
 * Internal endpoints end to end, on the real stack (legacy Python, TS server, front door, one SQLite
 * file): one login across both sides, logout honoured at once, legacy's posts rendered and its users
 * served by TS with the request id passed along, the faults a legacy page must survive, and hundreds of
 * concurrent writes from both processes that lose nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { startLegacy, TEST_INTERNAL_TOKEN, waitUntil, freePort, type RunningProcess } from '../helpers/processes.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const FAST_HASHES = { FORUM_PBKDF2_ITERATIONS: '1000' };

interface Answer {
  status: number;
  text: string;
  headers: Headers;
  cookies: string[];
}

async function send(url: string, init: RequestInit & { cookie?: string } = {}): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set('cookie', init.cookie);
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  return { status: res.status, text: await res.text(), headers: res.headers, cookies: res.headers.getSetCookie() };
}

const postJson = (url: string, body: unknown, cookie?: string): Promise<Answer> =>
  send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...(cookie ? { cookie } : {}) });

/** `forum_session=…; forum_csrf=…` from a login's Set-Cookie lines. */
const cookieOf = (answer: Answer): string =>
  answer.cookies
    .map((line) => line.split(';')[0]!)
    .filter((pair) => !pair.endsWith('='))
    .join('; ');

const logLines = (process: { output: string[] }): Record<string, unknown>[] =>
  process.output.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

describe('one login across both sides', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('edge', { LOG_LEVEL: 'info', ...FAST_HASHES });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('recognises on TS (GET /api/v1/me) a user who logged in on legacy', async () => {
    const login = await postJson(`${stack.front.url}/api/v1/login`, { username: 'alice', password: 'alice-password' });
    expect(login.status).toBe(200);
    const me = await send(`${stack.front.url}/api/v1/me`, { cookie: cookieOf(login) });
    expect(me).toMatchObject({ status: 200, text: '{"user":{"id":1,"username":"alice"}}' });
    const id = me.headers.get('x-request-id');
    await waitUntil(() => logLines(stack.ts).some((line) => line.request_id === id && line.path === '/api/v1/me' && line.backend === 'ts'), 'the TS access line of /api/v1/me');
  });

  it.each([
    ['the JSON API', async (front: string, cookie: string) => postJson(`${front}/api/v1/logout`, {}, cookie)],
    [
      'the HTML form',
      async (front: string, cookie: string) => {
        const csrf = /forum_csrf=([^;]+)/.exec(cookie)![1]!;
        return send(`${front}/logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `csrf=${csrf}`, cookie });
      },
    ],
  ])('logs out everywhere at once when the user logs out through %s, though TS had the session cached', async (_how, logout) => {
    const login = await postJson(`${stack.front.url}/api/v1/login`, { username: 'bob', password: 'bob-password' });
    const cookie = cookieOf(login);
    for (let i = 0; i < 3; i++) expect((await send(`${stack.front.url}/api/v1/me`, { cookie })).status).toBe(200);
    expect([200, 303]).toContain((await logout(stack.front.url, cookie)).status);
    expect(await send(`${stack.front.url}/api/v1/me`, { cookie })).toMatchObject({ status: 401, text: '{"error":{"code":"unauthorized","message":"log in first"}}' });
    expect((await send(`${stack.front.url}/b/general`, { cookie })).text).not.toContain('Log out');
  });

  it('registers on legacy into the TS-owned users table; the new user is known on both sides and logs in with their password', async () => {
    const made = await postJson(`${stack.front.url}/api/v1/users`, { username: 'Zoë-1'.replace('ë', 'e'), password: 'zoe-password' });
    expect(made.status).toBe(201);
    const user = (JSON.parse(made.text) as { user: { id: number; username: string } }).user;
    expect(user.username).toBe('Zoe-1');
    expect(JSON.parse((await send(`${stack.front.url}/api/v1/me`, { cookie: cookieOf(made) })).text)).toEqual({ user });
    const again = await postJson(`${stack.front.url}/api/v1/login`, { username: 'zoe-1', password: 'zoe-password' });
    expect(again.status).toBe(200);
    const taken = await postJson(`${stack.front.url}/api/v1/users`, { username: 'ZOE-1', password: 'another-password' });
    expect(taken).toMatchObject({ status: 409, text: '{"error":{"code":"conflict","message":"username \'ZOE-1\' is taken; choose another"}}' });
    const invalid = await postJson(`${stack.front.url}/api/v1/users`, { username: 'no spaces', password: 'short' });
    expect(invalid.status).toBe(422);
    expect(invalid.text).toContain('username: must be 3 to 32 characters');
  });

  it("renders a new post through the TS markdown service, passing the front door's request id along", async () => {
    const login = await postJson(`${stack.front.url}/api/v1/login`, { username: 'carol', password: 'carol-password' });
    const body = 'Hello *world* <script>alert(1)</script> [x](javascript:alert(1)) — ünïcödé';
    const made = await postJson(`${stack.front.url}/api/v1/threads/1/posts`, { body }, cookieOf(login));
    expect(made.status).toBe(201);
    const post = (JSON.parse(made.text) as { post: { body_html: string; author: { username: string } } }).post;
    expect(post.body_html).toBe('<p>Hello <em>world</em> &lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(1)) — ünïcödé</p>');
    expect(post.author.username).toBe('carol');
    const id = made.headers.get('x-request-id');
    await waitUntil(
      () => logLines(stack.ts).some((line) => line.listener === 'internal' && line.request_id === id && line.path === '/_internal/v1/markdown/render'),
      "the TS internal access line of the render call, under the front door's request id",
    );
  });

  it("answers 401 and nothing else on either side's internal endpoints for a wrong token", async () => {
    const wrong = { authorization: `Bearer ${'x'.repeat(64)}`, 'content-type': 'application/json' };
    const ts = await send(`${stack.ts.internalUrl}/_internal/v1/users/1`, { headers: wrong });
    expect(ts).toMatchObject({ status: 401, text: '{"error":{"code":"unauthorized","message":"missing or wrong bearer token"}}' });
    const legacy = await send(`${stack.legacy.url}/_internal/legacy/sessions/resolve`, { method: 'POST', headers: wrong, body: '{"token":"x"}' });
    expect(legacy).toMatchObject({ status: 401, text: '{"error":{"code":"unauthorized","message":"missing or wrong bearer token"}}' });
    const right = await send(`${stack.ts.internalUrl}/_internal/v1/users/1`, { headers: { authorization: `Bearer ${TEST_INTERNAL_TOKEN}` } });
    expect(right.status).toBe(200);
  });

  it('publishes one OpenAPI document for every internal endpoint of every service', async () => {
    const res = await send(`${stack.ts.internalUrl}/_internal/openapi.json`, { headers: { authorization: `Bearer ${TEST_INTERNAL_TOKEN}` } });
    expect(res.status).toBe(200);
    const doc = JSON.parse(res.text) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual([
      'DELETE /_internal/v1/sessions/{token_sha256}',
      'GET /_internal/v1/cache',
      'GET /_internal/v1/live',
      'GET /_internal/v1/users',
      'GET /_internal/v1/users/by-username/{username}',
      'GET /_internal/v1/users/{id}',
      'POST /_internal/v1/changes',
      'POST /_internal/v1/markdown/render',
      'POST /_internal/v1/users',
      'POST /_internal/v1/users/verify',
    ]);
  });

  it('does not serve internal endpoints on the TS public listener', async () => {
    const res = await send(`${stack.ts.url}/_internal/v1/users/1`, { headers: { authorization: `Bearer ${TEST_INTERNAL_TOKEN}` } });
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('alice');
  });
});

describe('legacy when the internal calls cannot be made', () => {
  let stack: Stack;
  const extra: RunningProcess[] = [];
  beforeAll(async () => {
    stack = await startStack('edge', FAST_HASHES);
  });
  afterAll(async () => {
    await Promise.all(extra.map((p) => p.stop()));
    await stack?.stop();
  });

  const legacyWith = async (env: Record<string, string>): Promise<RunningProcess> => {
    const legacy = await startLegacy({ ...stack.env, LEGACY_PORT: '0', LOG_LEVEL: 'info', ...env });
    extra.push(legacy);
    return legacy;
  };

  it('answers pages that need the TS side with a clear 503 page and logs one line naming the call, no traceback', async () => {
    const legacy = await legacyWith({ STRANGLER_INTERNAL_URL: `http://127.0.0.1:${await freePort()}` });
    const page = await send(`${legacy.url}/b/general`);
    expect(page.status).toBe(503);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('The user service is not answering right now');
    const api = await send(`${legacy.url}/api/v1/threads/1`);
    expect(api).toMatchObject({ status: 503, text: expect.stringContaining('"code":"unavailable"') });
    await waitUntil(() => logLines(legacy).some((line) => line.event === 'internal_call_failed'), "the failed call's log line");
    const failed = logLines(legacy).find((line) => line.event === 'internal_call_failed')!;
    expect(failed.call).toMatch(/^GET \/_internal\/v1\/users/);
    expect(failed.level).toBe('error');
    expect(legacy.output.join('\n')).not.toContain('Traceback');
  });

  it('writes nothing when a post cannot be rendered because the TS side is down', async () => {
    const legacy = await legacyWith({ STRANGLER_INTERNAL_URL: `http://127.0.0.1:${await freePort()}` });
    // The session is legacy's own; logging in needs the users service, so start one on the healthy stack.
    const login = await postJson(`${stack.legacy.url}/api/v1/login`, { username: 'alice', password: 'alice-password' });
    const before = new Database(stack.db, { readonly: true }).prepare('SELECT count(*) AS n FROM posts').get() as { n: number };
    const reply = await postJson(`${legacy.url}/api/v1/threads/1/posts`, { body: 'lost?' }, cookieOf(login));
    expect(reply.status).toBe(503);
    const after = new Database(stack.db, { readonly: true }).prepare('SELECT count(*) AS n FROM posts').get() as { n: number };
    expect(after.n).toBe(before.n);
  });

  it('answers 503 and logs that the tokens differ when legacy has the wrong token', async () => {
    const legacy = await legacyWith({ STRANGLER_INTERNAL_TOKEN: 'w'.repeat(48) });
    const page = await send(`${legacy.url}/t/1`);
    expect(page.status).toBe(503);
    await waitUntil(() => logLines(legacy).some((line) => line.event === 'internal_call_failed'), "the failed call's log line");
    const failed = logLines(legacy).find((line) => line.event === 'internal_call_failed')!;
    expect(String(failed.error)).toMatch(/401|token/i);
  });

  it("answers 503 on TS's /api/v1/me, with a log line naming the call, when legacy cannot say whose session it is", async () => {
    await stack.legacy.stop();
    const me = await send(`${stack.front.url}/api/v1/me`, { cookie: 'forum_session=anything' });
    expect(me).toMatchObject({ status: 503, text: '{"error":{"code":"unavailable","message":"cannot check your session right now; try again in a moment"}}' });
  });
});

describe('concurrent writes from both sides', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('edge', FAST_HASHES);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** Run `tasks` with at most `width` in flight. */
  async function pool<T>(tasks: (() => Promise<T>)[], width: number): Promise<T[]> {
    const results: T[] = new Array(tasks.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: width }, async () => {
        while (next < tasks.length) {
          const index = next++;
          results[index] = await tasks[index]!();
        }
      }),
    );
    return results;
  }

  it('keeps every registration (through legacy and straight to TS) and every post, with no busy errors', { timeout: 120_000 }, async () => {
    const COUNT = 200;
    const login = await postJson(`${stack.legacy.url}/api/v1/login`, { username: 'alice', password: 'alice-password' });
    const cookie = cookieOf(login);
    const internal = { authorization: `Bearer ${TEST_INTERNAL_TOKEN}`, 'content-type': 'application/json' };
    const db = new Database(stack.db, { readonly: true });
    const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
    const usersBefore = count('SELECT count(*) AS n FROM users');
    const postsBefore = count('SELECT count(*) AS n FROM posts');

    const viaLegacy = Array.from({ length: COUNT }, (_, i) => () => postJson(`${stack.legacy.url}/api/v1/users`, { username: `legacy-${i}`, password: `password-${i}` }));
    const viaTs = Array.from(
      { length: COUNT },
      (_, i) => () =>
        send(`${stack.ts.internalUrl}/_internal/v1/users`, { method: 'POST', headers: internal, body: JSON.stringify({ username: `ts-${i}`, password: `password-${i}` }) }),
    );
    const posts = Array.from({ length: COUNT }, (_, i) => () => postJson(`${stack.legacy.url}/api/v1/threads/${(i % 5) + 1}/posts`, { body: `post **${i}**` }, cookie));
    const [a, b, c] = await Promise.all([pool(viaLegacy, 16), pool(viaTs, 16), pool(posts, 16)]);

    const statuses = (answers: Answer[]) => answers.reduce<Record<number, number>>((acc, { status }) => ({ ...acc, [status]: (acc[status] ?? 0) + 1 }), {});
    expect(statuses(a)).toEqual({ 201: COUNT });
    expect(statuses(b)).toEqual({ 201: COUNT });
    expect(statuses(c)).toEqual({ 201: COUNT });
    expect(count('SELECT count(*) AS n FROM users')).toBe(usersBefore + 2 * COUNT);
    expect(count('SELECT count(*) AS n FROM posts')).toBe(postsBefore + COUNT);
    expect(count("SELECT count(*) AS n FROM posts WHERE body LIKE 'post **%' AND body_html NOT LIKE '<p>post <strong>%</strong></p>'")).toBe(0);
    // Each thread's counter moved by exactly the posts written to it.
    expect(count('SELECT count(*) AS n FROM threads WHERE post_count != (SELECT count(*) FROM posts WHERE posts.thread_id = threads.id)')).toBe(0);
    db.close();
    for (const side of [stack.legacy, stack.ts]) expect(side.output.join('\n')).not.toMatch(/SQLITE_BUSY|database is locked|Traceback/);
  });
});
