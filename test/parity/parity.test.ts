/**
 * Parity: every case of every migrated endpoint, sent to the real legacy app and to the real TS server
 * on the same seeded database. Status, Content-Type, Cache-Control, Allow, Content-Length (values and the
 * spelling of their names) and the body bytes must be identical, and the status must be the one the contract demands.
 */
import { resolve } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observe, type ParityHarness } from '../../gateway/parity/index.ts';
import { ROOT } from '../helpers/processes.ts';
import { createForumPages } from '../../services/forum-common/index.ts';
import { BOARD_PAGE_CASES } from './board-page.cases.ts';
import { BOARDS_CASES } from './boards.cases.ts';
import { BOARD_THREADS_CASES } from './board-threads.cases.ts';
import { COMPARED_HEADERS, cookieFor, startParityStack, VIEWS_FLUSH_MS, withSessions, type ParityCase, type ParityStack } from './harness.ts';
import { HOME_PAGE_CASES } from './home-page.cases.ts';
import { ME_CASES } from './me.cases.ts';
import { LIVE_CASES } from './live.cases.ts';
import { LONG_THREAD_ID, THREADS_CASES } from './threads.cases.ts';
import { FRESH_THREAD, normalizeViews, shownViews, THREAD_PAGE_CASES } from './thread-page.cases.ts';

const SUITES: [string, readonly ParityCase[]][] = [
  ['GET /api/v1/boards', BOARDS_CASES],
  ['GET /api/v1/boards/<slug>/threads', BOARD_THREADS_CASES],
  ['GET /api/v1/threads/<id>', THREADS_CASES],
  ['GET /api/v1/me', ME_CASES],
  ['GET / (the HTML home page)', HOME_PAGE_CASES],
  ['GET /b/<slug> (the HTML board page)', BOARD_PAGE_CASES],
  ['GET /live/t/<id> (the live feed’s errors)', LIVE_CASES],
];

const title = (c: ParityCase): string => `${c.method ?? 'GET'} ${c.path}: ${c.name}${c.gap === undefined ? '' : ` (gap: ${c.gap})`}`;
const observeOn = (url: string, path: string, method?: string) => observe(url, { name: path, path, method, status: 0 }, COMPARED_HEADERS);

let stack: ParityStack;
let parity: ParityHarness;
beforeAll(async () => {
  stack = await startParityStack();
  parity = stack.harness();
});
afterAll(async () => {
  await stack?.stop();
});

describe('the seeded data the cases rely on', () => {
  it(`has thread ${LONG_THREAD_ID} with two pages of posts at the default page size`, async () => {
    const seen = await observeOn(stack.legacy.url, `/api/v1/threads/${LONG_THREAD_ID}`);
    expect(JSON.parse(seen.body.toString())).toMatchObject({ pages: 2, per_page: 50 });
  });
});

// A known gap must still differ: once it is fixed the harness fails the case and its `gap` comes off.
describe.each(SUITES)('parity of %s', (_endpoint, cases) => {
  it.each(cases.map((c) => [title(c), c] as const))('%s', async (_title, testCase) => {
    await parity.expectParity(await withSessions(stack.legacy.url, testCase));
  });
});

// Pages outside the moved routes cannot be asked of the TS server; the services' renderer is compared
// with legacy's answer for the same path instead.
describe("parity of the forum's HTML 404 page", () => {
  const pages = createForumPages(resolve(ROOT, 'legacy-python/forum/templates/error.html'));
  const app = new Hono().notFound(pages.notFound);

  it.each(['/no/such/page', '/api/v1/nothing'])('renders %s as legacy does', async (path) => {
    const { answeredBy: _, ...legacy } = await observeOn(stack.legacy.url, path);
    const res = await app.request(path);
    const ts = {
      status: res.status,
      headers: Object.fromEntries(COMPARED_HEADERS.map((name) => [name, res.headers.get(name)])),
      body: Buffer.from(await res.arrayBuffer()),
    };
    expect(legacy.status).toBe(404);
    // A Response's header names are lower-cased by the Headers API; only the real server spells them.
    expect(ts).toEqual({ ...legacy, headerNames: undefined });
  });
});

describe('parity of GET /t/<id> (the HTML thread page)', () => {
  // Sequential, legacy first: each GET counts a view, so TS shows one more than legacy did.
  const pageParity = (): ParityHarness => stack.harness({ order: 'legacy-first', normalize: normalizeViews });
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

  /** The view count legacy's API reads from the database. */
  const apiViews = async (id: number): Promise<number> => {
    const seen = await observeOn(stack.legacy.url, `/api/v1/threads/${id}`);
    return (JSON.parse(seen.body.toString()) as { thread: { view_count: number } }).thread.view_count;
  };
  /** Wait until the database holds `expected` views of the thread: the TS server's views are written behind. */
  const viewsReach = async (id: number, expected: number): Promise<number> => {
    const deadline = Date.now() + 10_000;
    let views = await apiViews(id);
    while (views < expected && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, VIEWS_FLUSH_MS / 2));
      views = await apiViews(id);
    }
    return views;
  };

  it.each(THREAD_PAGE_CASES.map((c) => [title(c), c] as const))('%s', async (_title, testCase) => {
    const sent = await withSessions(stack.legacy.url, { ...testCase, path: testCase.path.replace('{fresh}', String(fresh)) });
    const { legacy, ts } = await pageParity().expectParity(sent);
    if (legacy!.status !== 200 || sent.method !== undefined) return;
    expect(shownViews(ts!)).toBe(shownViews(legacy!)! + 1);
    // The next case starts once the view TS counted is in the database, as legacy's own is.
    const id = Number(/data-live="\/live\/t\/(\d+)"/.exec(ts!.body.toString())![1]);
    expect(await viewsReach(id, shownViews(ts!)!)).toBe(shownViews(ts!));
  });

  it('counts exactly one view per GET on either side and none per HEAD, the TS ones within the flush interval', async () => {
    const page = `/t/${fresh}`;
    const start = await apiViews(fresh);
    expect(shownViews(await observeOn(stack.legacy.url, page))).toBe(start + 1);
    expect(shownViews(await observeOn(stack.ts.url, page))).toBe(start + 2);
    await observeOn(stack.legacy.url, page, 'HEAD');
    await observeOn(stack.ts.url, page, 'HEAD');
    expect(await viewsReach(fresh, start + 2)).toBe(start + 2);
    expect(shownViews(await observeOn(stack.ts.url, page))).toBe(start + 3);
    expect(await viewsReach(fresh, start + 3)).toBe(start + 3);
    expect(shownViews(await observeOn(stack.legacy.url, page))).toBe(start + 4);
    expect(await apiViews(fresh)).toBe(start + 4);
  });
});
