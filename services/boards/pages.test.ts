import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createForumPages, LEGACY_TEMPLATES_DIR, loadForumTemplates, openForumDb } from '../forum-common/index.ts';
import { createFixtureDb } from '../forum-common/testing.ts';
import { ALICE_COOKIE, fakeSessions, LEGACY_DOWN_COOKIE } from '../threads/testing.ts';
import { createBoardsService, decodeSegment } from './index.ts';

const fixture = createFixtureDb();
const db = openForumDb(fixture.file);
const { app } = createBoardsService(db, {
  templates: loadForumTemplates(LEGACY_TEMPLATES_DIR),
  pages: createForumPages(`${LEGACY_TEMPLATES_DIR}/error.html`),
  sessions: fakeSessions,
  findUser: (id) => (id === 1 ? { username: 'alice' } : undefined),
  logger: pino({ level: 'silent' }),
});
afterAll(() => {
  db.close();
  fixture.cleanup();
});

const get = async (path: string, init: RequestInit = {}) => {
  const res = await app.request(path, init, { requestId: 'test' });
  return { res, html: await res.text() };
};

describe('GET /', () => {
  it("lists the boards by position for a guest with legacy's page headers, slugs escaped in links", async () => {
    const { res, html } = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(html)));
    expect(html).toContain('<title>Boards · Forum</title>');
    expect(html.indexOf('href="/b/meta"')).toBeLessThan(html.indexOf('href="/b/general"'));
    expect(html).toContain('<p class="muted">Anything goes — café, 日本, &quot;quotes&quot;</p></td><td>2</td><td>122</td>');
  });

  it('names a signed-in viewer', async () => {
    expect((await get('/', { headers: { cookie: `forum_session=${ALICE_COOKIE}` } })).html).toContain('<span class="who">alice</span>');
  });

  it('answers a 503 page when legacy cannot say whose session the cookie is', async () => {
    const { res, html } = await get('/', { headers: { cookie: `forum_session=${LEGACY_DOWN_COOKIE}` } });
    expect(res.status).toBe(503);
    expect(html).toContain('<p>The session service is not answering right now; try again in a moment.</p>');
  });
});

describe('GET /b/<slug>', () => {
  it('lists the threads newest activity first with their authors, and a login hint for a guest', async () => {
    const { res, html } = await get('/b/general');
    expect(res.status).toBe(200);
    expect(html.indexOf('href="/t/1"')).toBeLessThan(html.indexOf('href="/t/2"'));
    expect(html).toContain('<tr><td><a href="/t/2">Short</a><p class="muted">by bob</p></td><td>2</td><td>0</td>');
    expect(html).toContain('<p class="hint"><a href="/login?next=/b/general">Log in</a> to start a thread.</p>');
  });

  it('shows a signed-in viewer the new-thread form with the csrf cookie', async () => {
    const { html } = await get('/b/general', { headers: { cookie: `forum_session=${ALICE_COOKIE}; forum_csrf=x<y` } });
    expect(html).toContain('<form class="compose" method="post" action="/b/general/new">');
    expect(html).toContain('<input type="hidden" name="csrf" value="x&lt;y">');
  });

  it('pages the threads', async () => {
    const { html } = await get('/b/general?per_page=1&page=2');
    expect(html).toContain('href="/t/2"');
    expect(html).not.toContain('href="/t/1"');
    expect(html).toContain('<a rel="prev" href="/b/general?page=1">‹ Newer</a> <span>Page 2 of 2</span>');
  });

  it.each([
    ['/b/general?per_page=101', 400, 'per_page must be an integer from 1 to 100'],
    ['/b/nothing?page=0', 400, 'page must be a positive integer'],
    ['/b/%3Cb%3E', 404, 'board &#x27;&lt;b&gt;&#x27; does not exist'],
    ['/b/%FF', 404, 'board &#x27;\uFFFD&#x27; does not exist'],
  ])("answers %s with legacy's error page", async (path, status, message) => {
    const { res, html } = await get(path);
    expect(res.status).toBe(status);
    expect(html).toContain(`<p>${message}</p>`);
  });

  it('answers GET on the new-thread path with 405 and Allow: POST', async () => {
    const { res } = await get('/b/general/new');
    expect([res.status, res.headers.get('allow')]).toEqual([405, 'POST']);
  });
});

describe('decodeSegment', () => {
  it('decodes UTF-8 escapes and reads bytes that are not UTF-8 as U+FFFD, as legacy does', () => {
    expect(decodeSegment('caf%C3%A9')).toBe('café');
    expect(decodeSegment('a%20b+c')).toBe('a b+c');
    expect(decodeSegment('%FF%C3')).toBe('\uFFFD\uFFFD');
    expect(decodeSegment('100%')).toBe('100%');
  });
});
