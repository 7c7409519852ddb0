import { afterAll, describe, expect, it } from 'vitest';
import { openForumDb } from '../forum-common/index.ts';
import { createFixtureDb, LONG_THREAD_POSTS } from '../forum-common/testing.ts';
import { createThreadsService } from './index.ts';
import { fakeLegacyViews, threadPageTestOptions } from './testing.ts';

const fixture = createFixtureDb();
const db = openForumDb(fixture.file);
const legacy = fakeLegacyViews(fixture.file);
const { app } = createThreadsService(db, threadPageTestOptions(legacy));
afterAll(() => {
  db.close();
  legacy.close();
  fixture.cleanup();
});

interface ThreadPage {
  thread: { id: number };
  posts: { id: number }[];
  page: number;
  per_page: number;
  total: number;
  pages: number;
}

const getJson = async (path: string): Promise<{ status: number; body: ThreadPage }> => {
  const res = await app.request(path);
  return { status: res.status, body: (await res.json()) as ThreadPage };
};

const errorBody = (code: string, message: string): string => JSON.stringify({ error: { code, message } });

describe('GET /api/v1/threads/<id>', () => {
  it('answers a thread with its posts in the contract key order and JSON encoding', async () => {
    const res = await app.request('/api/v1/threads/2');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toBe(
      '{"thread":{"id":2,"board":"general","title":"Short","author":{"id":2,"username":"bob"},"created_at":"2026-01-02T03:02:05Z","last_post_at":"2026-01-02T03:03:05Z","post_count":2,"view_count":0},' +
        '"posts":[{"id":121,"thread_id":2,"author":{"id":2,"username":"bob"},"body":"hello\\n\\n\\"world\\" \u2028 \\t","body_html":"<p>hello</p>\\n<p>\\"world\\"</p>","created_at":"2026-01-02T03:02:05Z"},' +
        '{"id":122,"thread_id":2,"author":{"id":1,"username":"alice"},"body":"reply","body_html":"<p>reply</p>","created_at":"2026-01-02T03:03:05Z"}],' +
        '"page":1,"per_page":50,"total":2,"pages":1}',
    );
  });

  it('pages posts by id: 50 per page by default, the last page partial, past the end empty', async () => {
    const first = await getJson('/api/v1/threads/1');
    expect(first.body.posts.map((p) => p.id)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(first.body).toMatchObject({ page: 1, per_page: 50, total: LONG_THREAD_POSTS, pages: 3 });
    const last = await getJson('/api/v1/threads/1?page=3');
    expect(last.body.posts.map((p) => p.id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 101));
    const past = await getJson('/api/v1/threads/1?page=4');
    expect(past).toMatchObject({ status: 200, body: { posts: [], page: 4, pages: 3 } });
    const huge = await getJson('/api/v1/threads/1?page=9007199254740991&per_page=200');
    expect(huge).toMatchObject({ status: 200, body: { posts: [], page: 9007199254740991, per_page: 200 } });
  });

  it('honours per_page from 1 to 200 and takes the first of repeated parameters', async () => {
    expect((await getJson('/api/v1/threads/1?per_page=1&page=2')).body.posts.map((p) => p.id)).toEqual([2]);
    expect((await getJson('/api/v1/threads/1?per_page=200')).body).toMatchObject({ pages: 1, per_page: 200 });
    expect((await getJson('/api/v1/threads/1?page=2&page=3&per_page=10&per_page=x')).body).toMatchObject({ page: 2, per_page: 10 });
  });

  it.each(['abc', '0', '-1', '01', '1.5', '+1', '9007199254740992', '99999999999999999999'])('answers 400 for thread id %j', async (id) => {
    const res = await app.request(`/api/v1/threads/${id}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(errorBody('bad_request', 'thread id must be a positive integer'));
  });

  it.each(['0', '-1', '01', 'x', '1.5', '', '9007199254740992'])('answers 400 for page %j', async (page) => {
    const res = await app.request(`/api/v1/threads/1?page=${page}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(errorBody('bad_request', 'page must be a positive integer'));
  });

  it.each(['0', '201', '-5', 'ten', '07'])('answers 400 for per_page %j', async (perPage) => {
    const res = await app.request(`/api/v1/threads/1?per_page=${perPage}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(errorBody('bad_request', 'per_page must be an integer from 1 to 200'));
  });

  it('answers 404 for a thread that does not exist', async () => {
    const res = await app.request('/api/v1/threads/9007199254740991');
    expect(res.status).toBe(404);
    expect(await res.text()).toBe(errorBody('not_found', 'thread 9007199254740991 does not exist'));
  });

  it('answers 405 with Allow: GET, HEAD for other methods on a thread, before checking the id', async () => {
    const res = await app.request('/api/v1/threads/abc', { method: 'PUT' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(await res.text()).toBe(errorBody('method_not_allowed', 'method PUT is not allowed here; use GET, HEAD'));
  });

  it('answers 405 with Allow: POST for GET on the replies path', async () => {
    const res = await app.request('/api/v1/threads/1/posts');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(await res.text()).toBe(errorBody('method_not_allowed', 'method GET is not allowed here; use POST'));
  });
});
