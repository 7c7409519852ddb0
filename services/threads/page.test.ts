import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { InternalCallError, type InternalCaller } from '../../gateway/internal/index.ts';
import { createForumCache, openForumDb } from '../forum-common/index.ts';
import { createFixtureDb } from '../forum-common/testing.ts';
import { createThreadsService, renderThreadPage } from './index.ts';
import { createSessionResolver } from '../sessions/index.ts';
import { prepareThreadQueries } from './queries.ts';
import { ALICE_COOKIE, fakeLegacyViews, fakeSessionsLegacy, LEGACY_DOWN_COOKIE, threadPageTestOptions } from './testing.ts';

const fixture = createFixtureDb();
const db = openForumDb(fixture.file);
const legacy = fakeLegacyViews(fixture.file);
const options = threadPageTestOptions(legacy);
const { app } = createThreadsService(db, options);
const queries = prepareThreadQueries(db);
afterAll(() => {
  db.close();
  legacy.close();
  fixture.cleanup();
});

const get = async (path: string, init: RequestInit = {}) => {
  const res = await app.request(path, init, { requestId: 'test' });
  return { res, html: await res.text() };
};
const viewCount = (id: number): number => queries.thread(id)!.view_count;

describe('GET /t/<id>', () => {
  it("renders the thread for a guest with legacy's headers, its view shown at once and written behind", async () => {
    const before = viewCount(1);
    const calls = legacy.batches.length;
    const { res, html } = await get('/t/1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(html)));
    expect(legacy.batches.length).toBe(calls);
    expect(viewCount(1)).toBe(before);
    await options.views.flush();
    expect(viewCount(1)).toBe(before + 1);
    expect(html).toContain('<title>A long thread ✓ · Forum</title>');
    expect(html).toContain('<a href="/login">Log in</a> <a href="/register">Register</a>');
    expect(html).toContain(`<p class="muted">120 posts · ${before + 1} views</p>`);
    expect(html).toContain('<section class="posts" data-live="/live/t/1">\n<article class="post" id="p1">');
    expect(html).toContain('<div class="body"><p>post 1 &lt;b&gt;</p></div>');
    expect(html).toContain('<nav class="pager"> <span>Page 1 of 3</span> <a rel="next" href="/t/1?page=2">Older ›</a></nav>');
    expect(html).toContain('<p class="hint"><a href="/login?next=/t/1">Log in</a> to reply.</p>');
    expect(html.endsWith('</html>\n')).toBe(true);
  });

  it('shows a signed-in viewer their name, the logout form and the reply form with the csrf cookie', async () => {
    const { html } = await get('/t/2', { headers: { cookie: `forum_session=${ALICE_COOKIE}; forum_csrf=a"b` } });
    expect(html).toContain('<span class="who">alice</span> <form class="inline" method="post" action="/logout"><input type="hidden" name="csrf" value="a&quot;b">');
    expect(html).toContain('<form class="compose" method="post" action="/t/2/reply">');
    expect(html).not.toContain('class="hint"');
  });

  it("reads the viewer's user row once while the session resolver keeps the session", async () => {
    let reads = 0;
    const session = { user_id: 1, expires_at: '2099-01-01T00:00:00Z' };
    const sessions = createSessionResolver({ ttlMs: 60_000, legacy: { post: async <T>() => ({ session }) as T } });
    const findUser = (id: number) => (reads++, id === 1 ? { username: 'alice' } : undefined);
    const service = createThreadsService(db, threadPageTestOptions(legacy, { sessions, findUser }));
    for (let i = 0; i < 3; i++) {
      const res = await service.app.request('/t/2', { headers: { cookie: 'forum_session=kept' } }, { requestId: 'test' });
      expect(await res.text()).toContain('<span class="who">alice</span>');
    }
    expect(reads).toBe(1);
  });

  it('treats an unknown session as a guest', async () => {
    expect((await get('/t/2', { headers: { cookie: 'forum_session=nobody' } })).html).toContain('Log in</a> to reply.');
  });

  it('pages posts with page and per_page', async () => {
    const { html } = await get('/t/1?page=2&per_page=10');
    expect(html).toContain('id="p11"');
    expect(html).not.toContain('id="p21"');
    expect(html).toContain('<a rel="prev" href="/t/1?page=1">‹ Newer</a> <span>Page 2 of 12</span>');
  });

  it('answers HEAD with the headers of GET and counts no view', async () => {
    await options.views.flush();
    const before = viewCount(3);
    const head = await get('/t/3', { method: 'HEAD' });
    expect(head.res.status).toBe(200);
    expect(head.html).toBe('');
    expect(options.views.unflushed(3)).toBe(0);
    await options.views.flush();
    expect(viewCount(3)).toBe(before);
    expect(head.res.headers.get('content-length')).toBe(String(Buffer.byteLength(renderFor(3))));
  });

  it.each([
    ['/t/01', 400, 'thread id must be a positive integer'],
    ['/t/1?page=0', 400, 'page must be a positive integer'],
    ['/t/1?per_page=201', 400, 'per_page must be an integer from 1 to 200'],
    ['/t/999', 404, 'thread 999 does not exist'],
  ])("answers %s with legacy's error page", async (path, status, message) => {
    const { res, html } = await get(path);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).toContain(`<p>${message}</p>`);
  });

  it('answers GET on the reply path with 405 and Allow: POST', async () => {
    const { res, html } = await get('/t/1/reply');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(html).toContain('<p>method GET is not allowed here; use POST</p>');
  });
});

describe('GET /t/<id> when legacy cannot answer', () => {
  const down: InternalCaller = {
    post: () => Promise.reject(new InternalCallError('unavailable', 'POST http://legacy/_internal/legacy/threads/views failed: ECONNREFUSED')),
  };

  it('answers the page and shows the view while legacy cannot take the count', async () => {
    const service = createThreadsService(db, threadPageTestOptions(down));
    const html = await (await service.app.request('/t/2', {}, { requestId: 'r1' })).text();
    expect(html).toContain(`<p class="muted">2 posts · ${viewCount(2) + 1} views</p>`);
  });

  it('answers a 503 page when legacy cannot say whose session the cookie is', async () => {
    const res = await app.request('/t/2', { headers: { cookie: `forum_session=${LEGACY_DOWN_COOKIE}` } }, { requestId: 'r2' });
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('<p>The session service is not answering right now; try again in a moment.</p>');
  });

  it('counts no view for a thread that does not exist', async () => {
    expect((await get('/t/999')).res.status).toBe(404);
    expect(options.views.unflushed(999)).toBe(0);
  });
});

describe('renderThreadPage', () => {
  it('renders without I/O, escaping titles, names and board slugs as legacy does', () => {
    const thread = { ...queries.thread(2)!, title: `<"Tëst" & 'x'>`, board: 'café & co' };
    const post = { ...queries.posts(2, 1, 0n)[0]!, author_username: 'b<o>b' };
    const html = renderThreadPage({ thread, posts: [post], page: 1, pages: 1, viewer: null, csrf: '' });
    expect(html).toContain('<title>&lt;&quot;Tëst&quot; &amp; &#x27;x&#x27;&gt; · Forum</title>');
    expect(html).toContain('<a href="/b/caf%C3%A9%20%26%20co">café &amp; co</a>');
    expect(html).toContain('<strong>b&lt;o&gt;b</strong>');
    expect(html).toContain('<nav class="pager"> <span>Page 1 of 1</span> </nav>');
  });
});

function renderFor(id: number): string {
  const thread = queries.thread(id)!;
  return renderThreadPage({ thread, posts: queries.posts(id, 50, 0n), page: 1, pages: 1, viewer: null, csrf: '' });
}

describe('GET /t/<id> with the page cache', () => {
  const cache = createForumCache({ enabled: true, ttlMs: 60_000, maxBytes: 8 * 1024 * 1024 });
  const cachedOptions = threadPageTestOptions(legacy, { sessions: createSessionResolver({ ttlMs: 60_000, legacy: fakeSessionsLegacy }) });
  const cached = createThreadsService(db, cachedOptions, cache).app;
  const view = async (path: string, cookie?: string) => (await cached.request(path, cookie ? { headers: { cookie } } : {}, { requestId: 'test' })).text();
  const shownViews = (html: string): number => Number(/ · (\d+) views</.exec(html)![1]);

  it('shows a signed-in viewer the page as rendered, with a view count that grows on every view of the kept page', async () => {
    const cookie = `forum_session=${ALICE_COOKIE}; forum_csrf=one`;
    const first = await view('/t/2', cookie);
    const second = await view('/t/2', cookie);
    expect(shownViews(second)).toBe(shownViews(first) + 1);
    const thread = { ...queries.thread(2)!, view_count: shownViews(second) };
    const fresh = renderThreadPage({ thread, posts: queries.posts(2, 50, 0n), page: 1, pages: 1, viewer: { username: 'alice' }, csrf: 'one' });
    expect(second).toBe(fresh);
  });

  it("never gives one viewer's page to another: each csrf value and a guest get their own", async () => {
    await view('/t/2', `forum_session=${ALICE_COOKIE}; forum_csrf=one`);
    const other = await view('/t/2', `forum_session=${ALICE_COOKIE}; forum_csrf=two`);
    expect(other).toContain('name="csrf" value="two"');
    expect(other).not.toContain('value="one"');
    const guest = await view('/t/2', 'forum_session=nobody');
    expect(guest).not.toContain('class="who"');
    expect(guest).toContain('Log in</a> to reply.');
  });

  it("answers a signed-in viewer before routing, once the session is kept, with the handler's lines and page and a view counted", async () => {
    const front = createThreadsService(db, cachedOptions, cache).cache!;
    const cookie = `forum_session=${ALICE_COOKIE}; forum_csrf=one`;
    expect(front.lookup('/t/2', '', { cookie: `forum_session=unasked; forum_csrf=one` })).toBeUndefined();
    const routed = await cached.request('/t/2', { headers: { cookie } }, { requestId: 'test' });
    const routedHtml = await routed.text();
    const answer = front.lookup('/t/2', '', { cookie })!;
    answer.onHit!('GET');
    // The server writes the lines as a Fetch Headers object lists them, as it does the handler's.
    expect([...new Headers(answer.headers as [string, string][])]).toEqual([...routed.headers]);
    expect(Buffer.from(answer.body).toString()).toBe(routedHtml.replace(/ · (\d+) views</, (_, n: string) => ` · ${Number(n) + 1} views<`));
    expect(front.lookup('/t/2', '', { cookie, 'if-none-match': '*' })).toBeUndefined();
    expect(front.lookup('/t/2', '?page=0', { cookie })).toBeUndefined();
    expect(front.lookup('/t/999', '', { cookie })).toBeUndefined();
    expect(front.lookup('/t/2', '', { cookie, authorization: 'Bearer x' })).toBeUndefined();
  });

  it("shows a post's new text once legacy's change notification names its thread", async () => {
    const cookie = `forum_session=${ALICE_COOKIE}; forum_csrf=one`;
    await view('/t/2', cookie);
    const writer = new Database(fixture.file);
    writer.prepare("UPDATE posts SET body_html = '<p>edited</p>' WHERE thread_id = 2").run();
    writer.close();
    expect(await view('/t/2', cookie)).not.toContain('<p>edited</p>');
    cache.apply([{ kind: 'post', thread: 2, board: queries.thread(2)!.board }]);
    expect(await view('/t/2', cookie)).toContain('<p>edited</p>');
  });
});
