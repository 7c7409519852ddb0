/**
 * GET /t/<id>, the HTML thread page, moved to services/threads (page.ts). Every GET counts a view, so
 * the suite sends each case to legacy first and then to TS, and compares with only the view-count number
 * normalized (see `normalizeViews`); it checks separately that each GET counts exactly one view on both
 * sides and HEAD none.
 *
 * In the tiny seed, thread 7 is the long one (55 posts, title "Ünïcödé in 日本語 titles", posts with
 * links, code blocks and escaped HTML), thread 4 has a list and emphasis, thread 3 is on the board
 * `café` (a slug that must be percent-encoded). `{fresh}` is a thread the suite creates on legacy before
 * it runs, whose title and body need escaping and markdown.
 */
import type { Observation } from '../../gateway/parity/index.ts';
import type { ParityCase } from './harness.ts';

const long = '/t/7';
const alice = 'forum_session={session:alice}; forum_csrf=abc';

/** The thread the suite creates (as alice, through legacy's API) before the cases run. */
export const FRESH_THREAD = {
  board: 'café',
  title: `<Ünïcödé> & "quotes" 'n' 日本語 ✓`,
  body: "# Heading\n\nSome *emphasis*, `code <b>` and a [link](https://example.com/?a=1&b=2).\n\n- one\n- two\n\n<script>alert('x')</script> stays text: 🎉",
};

export const THREAD_PAGE_CASES: readonly ParityCase[] = [
  // guest and signed in
  { name: 'renders a short thread for a guest', path: '/t/1', status: 200 },
  { name: 'renders a thread on a board with a non-ASCII slug', path: '/t/3', status: 200 },
  { name: 'renders lists and emphasis from markdown', path: '/t/4', status: 200 },
  { name: 'renders page 1 of the long thread', path: long, status: 200 },
  { name: 'renders page 2, the last one', path: `${long}?page=2`, status: 200 },
  { name: 'renders a page past the end with no posts', path: `${long}?page=3`, status: 200 },
  { name: 'renders the long thread for alice, with the csrf cookie in her forms', path: long, cookie: alice, status: 200 },
  { name: 'renders page 2 for alice', path: `${long}?page=2`, cookie: alice, status: 200 },
  { name: 'renders a signed-in page without a csrf cookie', path: '/t/1', cookie: 'forum_session={session:bob}', status: 200 },
  { name: 'renders a guest page for an unknown session', path: '/t/1', cookie: 'forum_session=not-a-session; forum_csrf=abc', status: 200 },
  { name: 'escapes a csrf cookie that needs it', path: '/t/1', cookie: 'forum_session={session:alice}; forum_csrf=<a>&"b"', status: 200 },
  { name: 'renders a fresh thread with a title and body that need escaping and markdown', path: '/t/{fresh}', status: 200 },
  { name: 'renders the fresh thread for alice', path: '/t/{fresh}', cookie: alice, status: 200 },
  // paging
  { name: 'pages by per_page', path: `${long}?per_page=10&page=3`, status: 200 },
  { name: 'accepts per_page 200', path: `${long}?per_page=200`, status: 200 },
  { name: 'accepts per_page 1 on the last page', path: `${long}?per_page=1&page=55`, status: 200 },
  { name: 'takes the first of repeated parameters', path: `${long}?page=2&page=x&per_page=5&per_page=0`, status: 200 },
  { name: 'renders the largest page number with no posts', path: `${long}?page=9007199254740991&per_page=200`, status: 200 },
  { name: 'decodes percent-escaped parameters', path: `${long}?%70age=%32`, status: 200 },
  // errors
  { name: 'refuses per_page 201', path: `${long}?per_page=201`, status: 400 },
  { name: 'refuses per_page 0', path: `${long}?per_page=0`, status: 400 },
  { name: 'refuses page 0', path: `${long}?page=0`, status: 400 },
  { name: 'refuses page abc', path: `${long}?page=abc`, status: 400 },
  { name: 'refuses an empty page', path: `${long}?page=`, status: 400 },
  { name: 'refuses id abc', path: '/t/abc', status: 400 },
  { name: 'refuses id 01', path: '/t/01', status: 400 },
  { name: 'refuses id 2^53', path: '/t/9007199254740992', status: 400 },
  { name: 'refuses an id with a non-ASCII digit', path: '/t/%D9%A1', status: 400 },
  { name: 'checks the id before the page', path: '/t/x?page=0', status: 400 },
  { name: 'answers 404 for a missing thread', path: '/t/999999', status: 404 },
  { name: 'answers 404 for the largest id', path: '/t/9007199254740991', status: 404 },
  { name: 'answers 404 for a missing thread to a signed-in viewer', path: '/t/999999', cookie: alice, status: 404 },
  { name: 'checks the page before looking the thread up', path: '/t/999999?page=0', status: 400 },
  { name: 'answers the same for a percent-encoded id', path: '/t/%37', status: 200 },
  // other paths under /t
  { name: 'answers the 404 page for the bare prefix', path: '/t', status: 404 },
  { name: 'answers the 404 page for the prefix with a slash', path: '/t/', status: 404 },
  { name: 'answers the 404 page for a trailing slash', path: '/t/1/', status: 404 },
  { name: 'answers the 404 page for an unknown subpath', path: '/t/1/nothing', status: 404 },
  { name: 'refuses GET on the reply path with Allow: POST', path: '/t/1/reply', status: 405 },
  { name: 'refuses GET on the reply path of a malformed id', path: '/t/abc/reply', status: 405 },
  // HEAD (counts no view: compared byte for byte, no normalizing needed)
  { name: 'answers HEAD like GET without a body', method: 'HEAD', path: long, status: 200 },
  { name: 'answers HEAD for alice', method: 'HEAD', path: long, cookie: alice, status: 200 },
  { name: 'answers HEAD on a missing thread with the 404 headers', method: 'HEAD', path: '/t/999999', status: 404 },
  { name: 'answers HEAD on a bad id with the 400 headers', method: 'HEAD', path: '/t/abc', status: 400 },
  { name: 'refuses HEAD on the reply path', method: 'HEAD', path: '/t/1/reply', status: 405 },
];

const VIEWS = /(<p class="muted">\d+ posts · )(\d+)( views<\/p>)/;

/** The view count a thread page shows, or null when the body is not a thread page. */
export const shownViews = (seen: Observation): number | null => {
  const match = VIEWS.exec(seen.body.toString('utf8'));
  return match ? Number(match[2]) : null;
};

/**
 * The observation with the view-count number replaced by `N`, and Content-Length adjusted by the same
 * number of bytes, so that two GETs one view apart compare equal and nothing else is hidden.
 */
export function normalizeViews(seen: Observation): Observation {
  const text = seen.body.toString('utf8');
  const normalized = text.replace(VIEWS, '$1N$3');
  if (normalized === text) return seen;
  const body = Buffer.from(normalized, 'utf8');
  const length = seen.headers['content-length'];
  const contentLength = length == null ? null : String(Number(length) - seen.body.length + body.length);
  return { ...seen, body, headers: { ...seen.headers, 'content-length': contentLength } };
}
