import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createForumPages } from './pages.ts';

const TEMPLATE = resolve(fileURLToPath(new URL('../../legacy-python/forum/templates/error.html', import.meta.url)));
const pages = createForumPages(TEMPLATE);
const app = new Hono().notFound(pages.notFound);

describe('the forum pages', () => {
  it('answers an unknown API path with the API 404 JSON', async () => {
    const res = await app.request('/api/v1/nothing');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.text()).toBe('{"error":{"code":"not_found","message":"no API endpoint at this path"}}');
  });

  it("answers an unknown page with legacy's HTML error page", async () => {
    const res = await app.request('/t/1/nothing');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('<title>404 Not Found · Forum</title>');
    expect(html).toContain('<p>There is no page at this address.</p>');
  });

  it('escapes the message of a page error', async () => {
    expect(await pages.errorResponse(400, 'bad <path>', '/x').text()).toContain('<p>bad &lt;path&gt;</p>');
  });

  it('never shows the internal error message of a 500', async () => {
    const res = pages.errorResponse(500, 'SQLITE_CORRUPT at /secret/path', '/api/v1/boards');
    expect(await res.text()).toBe('{"error":{"code":"internal","message":"something went wrong on our side; try again later"}}');
  });
});
