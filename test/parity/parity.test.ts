/**
 * Parity: every case of every migrated endpoint, sent to the real legacy app and to the real TS server
 * on the same seeded database. Status, Content-Type, Cache-Control, Allow, Content-Length (values and the
 * spelling of their names) and the body bytes must be identical, and the status must be the one the contract demands.
 */
import { resolve } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/processes.ts';
import { createForumPages } from '../../services/forum-common/index.ts';
import { BOARDS_CASES } from './boards.cases.ts';
import { cookieFor, observe, startParityStack, type ParityCase, type ParityStack } from './harness.ts';
import { ME_CASES } from './me.cases.ts';
import { LONG_THREAD_ID, THREADS_CASES } from './threads.cases.ts';
import { FRESH_THREAD, normalizeViews, shownViews, THREAD_PAGE_CASES } from './thread-page.cases.ts';

const SUITES: [string, readonly ParityCase[]][] = [
  ['GET /api/v1/boards', BOARDS_CASES],
  ['GET /api/v1/threads/<id>', THREADS_CASES],
  ['GET /api/v1/me', ME_CASES],
];

let stack: ParityStack;
beforeAll(async () => {
  stack = await startParityStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('the seeded data the cases rely on', () => {
  it(`has thread ${LONG_THREAD_ID} with two pages of posts at the default page size`, async () => {
    const seen = await observe(stack.legacy.url, { name: 'long thread', path: `/api/v1/threads/${LONG_THREAD_ID}`, status: 200 });
    expect(JSON.parse(seen.body)).toMatchObject({ pages: 2, per_page: 50 });
  });
});

describe.each(SUITES)('parity of %s', (_endpoint, cases) => {
  const known = cases.filter((c) => c.gap === undefined);
  const gaps = cases.filter((c) => c.gap !== undefined);

  it.each(known.map((c) => [`${c.method ?? 'GET'} ${c.path}: ${c.name}`, c] as const))('%s', async (_title, testCase) => {
    const cookie = await cookieFor(stack.legacy.url, testCase.cookie);
    const [legacy, ts] = await Promise.all([observe(stack.legacy.url, testCase, cookie), observe(stack.ts.url, testCase, cookie)]);
    expect(legacy.status, 'legacy breaks the contract').toBe(testCase.status);
    expect(ts).toEqual(legacy);
  });

  // A known gap must still differ: once it is fixed the case fails here and its `gap` comes off.
  if (gaps.length > 0) it.each(gaps.map((c) => [`${c.method ?? 'GET'} ${c.path}: ${c.name} (gap: ${c.gap})`, c] as const))('%s', async (_title, testCase) => {
    const cookie = await cookieFor(stack.legacy.url, testCase.cookie);
    const [legacy, ts] = await Promise.all([observe(stack.legacy.url, testCase, cookie), observe(stack.ts.url, testCase, cookie)]);
    expect(ts).not.toEqual(legacy);
  });
});

// Pages outside the moved routes cannot be asked of the TS server; the services' renderer is compared
// with legacy's answer for the same path instead.
describe("parity of the forum's HTML 404 page", () => {
  const pages = createForumPages(resolve(ROOT, 'legacy-python/forum/templates/error.html'));
  const app = new Hono().notFound(pages.notFound);

  it.each(['/no/such/page', '/api/v1/nothing'])('renders %s as legacy does', async (path) => {
    const legacy = await observe(stack.legacy.url, { name: path, path, status: 404 });
    const res = await app.request(path);
    const ts = {
      status: res.status,
      contentType: res.headers.get('content-type'),
      cacheControl: res.headers.get('cache-control'),
      allow: res.headers.get('allow'),
      contentLength: res.headers.get('content-length'),
      body: await res.text(),
    };
    expect(legacy.status).toBe(404);
    // A Response's header names are lower-cased by the Headers API; only the real server spells them.
    expect(ts).toEqual({ ...legacy, headerNames: undefined });
  });
});

describe('parity of GET /t/<id> (the HTML thread page)', () => {
  let fresh: number;
  beforeAll(async () => {
    const cookie = await cookieFor(stack.legacy.url, 'forum_session={session:alice}');
    const res = await fetch(`${stack.legacy.url}/api/v1/boards/${encodeURIComponent(FRESH_THREAD.board)}/threads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: cookie! },
      body: JSON.stringify({ title: FRESH_THREAD.title, body: FRESH_THREAD.body }),
    });
    if (res.status !== 201) throw new Error(`creating the fresh thread on legacy failed (${res.status}): ${await res.text()}`);
    fresh = ((await res.json()) as { thread: { id: number } }).thread.id;
  });

  // Sequential, legacy first: each GET counts a view, so TS shows one more than legacy did.
  it.each(THREAD_PAGE_CASES.map((c) => [`${c.method ?? 'GET'} ${c.path}: ${c.name}`, c] as const))('%s', async (_title, testCase) => {
    const sent = { ...testCase, path: testCase.path.replace('{fresh}', String(fresh)) };
    const cookie = await cookieFor(stack.legacy.url, sent.cookie);
    const legacy = await observe(stack.legacy.url, sent, cookie);
    const ts = await observe(stack.ts.url, sent, cookie);
    expect(legacy.status, 'legacy breaks the contract').toBe(sent.status);
    if (legacy.status === 200 && sent.method === undefined) expect(shownViews(ts)).toBe(shownViews(legacy)! + 1);
    expect(normalizeViews(ts)).toEqual(normalizeViews(legacy));
  });

  it('counts exactly one view per GET on either side and none per HEAD', async () => {
    const apiViews = async (): Promise<number> => {
      const seen = await observe(stack.legacy.url, { name: 'views', path: `/api/v1/threads/${fresh}`, status: 200 });
      return (JSON.parse(seen.body) as { thread: { view_count: number } }).thread.view_count;
    };
    const page = { name: 'page', path: `/t/${fresh}`, status: 200 };
    const head = { ...page, method: 'HEAD' };
    const start = await apiViews();
    expect(shownViews(await observe(stack.legacy.url, page))).toBe(start + 1);
    expect(shownViews(await observe(stack.ts.url, page))).toBe(start + 2);
    await observe(stack.legacy.url, head);
    await observe(stack.ts.url, head);
    expect(await apiViews()).toBe(start + 2);
    expect(shownViews(await observe(stack.ts.url, page))).toBe(start + 3);
    expect(shownViews(await observe(stack.legacy.url, page))).toBe(start + 4);
    expect(await apiViews()).toBe(start + 4);
  });
});
