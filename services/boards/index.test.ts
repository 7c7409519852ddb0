import { afterAll, describe, expect, it } from 'vitest';
import { openForumDb } from '../forum-common/index.ts';
import { createFixtureDb } from '../forum-common/testing.ts';
import { createBoardsService } from './index.ts';

const fixture = createFixtureDb();
const db = openForumDb(fixture.file);
const { app } = createBoardsService(db);
afterAll(() => {
  db.close();
  fixture.cleanup();
});

describe('GET /api/v1/boards', () => {
  it('lists boards by position with counts over their threads, in the contract key order', async () => {
    const res = await app.request('/api/v1/boards');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toBe(
      '{"boards":[' +
        '{"id":2,"slug":"meta","name":"Meta","description":"About the forum","thread_count":1,"post_count":1},' +
        '{"id":1,"slug":"general","name":"General","description":"Anything goes — café, 日本, \\"quotes\\"","thread_count":2,"post_count":122},' +
        '{"id":3,"slug":"empty","name":"Empty","description":"","thread_count":0,"post_count":0}]}',
    );
  });

  it('answers HEAD with the GET headers, the same Content-Length and no body', async () => {
    const get = await app.request('/api/v1/boards');
    const head = await app.request('/api/v1/boards', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(get.headers.get('content-length'));
    expect(await head.text()).toBe('');
  });

  it('answers 405 with Allow: GET, HEAD for other methods, as legacy does', async () => {
    const res = await app.request('/api/v1/boards', { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(await res.text()).toBe('{"error":{"code":"method_not_allowed","message":"method DELETE is not allowed here; use GET, HEAD"}}');
  });

  it('refuses to write to the database', () => {
    expect(() => db.prepare("INSERT INTO boards (slug, name) VALUES ('x', 'X')").run()).toThrow(/readonly|query_only|attempt to write/i);
  });
});
