/**
 * GET /api/v1/threads/<id>, moved to services/threads: the cases both sides must answer identically.
 * Thread 7 is the tiny seed's long thread (55 posts: two pages at the default 50); the suite checks that
 * before it relies on it.
 */
import type { ParityCase } from './harness.ts';

export const LONG_THREAD_ID = 7;
const long = `/api/v1/threads/${LONG_THREAD_ID}`;

export const THREADS_CASES: readonly ParityCase[] = [
  // paging
  { name: 'answers a short thread', path: '/api/v1/threads/1', status: 200 },
  { name: 'answers page 1 of a long thread', path: long, status: 200 },
  { name: 'answers page 2, the last one, partly filled', path: `${long}?page=2`, status: 200 },
  { name: 'answers a page past the end with no posts', path: `${long}?page=3`, status: 200 },
  { name: 'answers the largest page number with no posts', path: `${long}?page=9007199254740991&per_page=200`, status: 200 },
  { name: 'pages by per_page', path: `${long}?per_page=10&page=6`, status: 200 },
  { name: 'accepts per_page 1', path: `${long}?per_page=1&page=55`, status: 200 },
  { name: 'accepts per_page 200', path: `${long}?per_page=200`, status: 200 },
  { name: 'takes the first of repeated parameters', path: `${long}?page=2&page=x&per_page=5&per_page=0`, status: 200 },
  { name: 'ignores unknown parameters', path: `${long}?sort=desc&page=1`, status: 200 },
  { name: 'decodes percent-escaped parameters', path: `${long}?%70age=%32`, status: 200 },
  // per_page bounds
  { name: 'refuses per_page 0', path: `${long}?per_page=0`, status: 400 },
  { name: 'refuses per_page 201', path: `${long}?per_page=201`, status: 400 },
  { name: 'refuses per_page -1', path: `${long}?per_page=-1`, status: 400 },
  { name: 'refuses per_page with a leading zero', path: `${long}?per_page=010`, status: 400 },
  { name: 'refuses an empty per_page', path: `${long}?per_page=`, status: 400 },
  // bad page values
  { name: 'refuses page 0', path: `${long}?page=0`, status: 400 },
  { name: 'refuses page -1', path: `${long}?page=-1`, status: 400 },
  { name: 'refuses page 01', path: `${long}?page=01`, status: 400 },
  { name: 'refuses page 1.5', path: `${long}?page=1.5`, status: 400 },
  { name: 'refuses page abc', path: `${long}?page=abc`, status: 400 },
  { name: 'refuses an empty page', path: `${long}?page=`, status: 400 },
  { name: 'refuses a page without a value', path: `${long}?page`, status: 400 },
  { name: 'refuses a page with a plus sign', path: `${long}?page=+1`, status: 400 },
  { name: 'refuses a page past 2^53 - 1', path: `${long}?page=9007199254740992`, status: 400 },
  // bad ids
  { name: 'refuses id abc', path: '/api/v1/threads/abc', status: 400 },
  { name: 'refuses id 0', path: '/api/v1/threads/0', status: 400 },
  { name: 'refuses id -1', path: '/api/v1/threads/-1', status: 400 },
  { name: 'refuses id 01', path: '/api/v1/threads/01', status: 400 },
  { name: 'refuses id 1.5', path: '/api/v1/threads/1.5', status: 400 },
  { name: 'refuses id 2^53', path: '/api/v1/threads/9007199254740992', status: 400 },
  { name: 'refuses a huge id', path: '/api/v1/threads/99999999999999999999999999', status: 400 },
  { name: 'refuses an id with a non-ASCII digit', path: '/api/v1/threads/%D9%A1', status: 400 },
  { name: 'checks the id before the page', path: '/api/v1/threads/x?page=0', status: 400 },
  // missing
  { name: 'answers 404 for a missing thread', path: '/api/v1/threads/999999', status: 404 },
  { name: 'answers 404 for the largest id', path: '/api/v1/threads/9007199254740991', status: 404 },
  { name: 'checks the page before looking the thread up', path: '/api/v1/threads/999999?page=0', status: 400 },
  // unknown subpaths
  { name: 'answers 404 JSON for the bare prefix', path: '/api/v1/threads', status: 404 },
  { name: 'answers 404 JSON for the prefix with a slash', path: '/api/v1/threads/', status: 404 },
  { name: 'answers 404 JSON for a trailing slash', path: '/api/v1/threads/1/', status: 404 },
  { name: 'answers 404 JSON for an unknown subpath', path: '/api/v1/threads/1/nothing', status: 404 },
  { name: 'answers 404 JSON for a deeper unknown subpath', path: '/api/v1/threads/1/posts/2', status: 404 },
  // percent-encoding (dot segments and repeated slashes are the front door's job: legacy never sees them)
  { name: 'answers the same for a percent-encoded id', path: '/api/v1/threads/%31', status: 200 },
  // HEAD
  { name: 'answers HEAD like GET without a body', method: 'HEAD', path: long, status: 200 },
  { name: 'answers HEAD on a missing thread with 404 headers', method: 'HEAD', path: '/api/v1/threads/999999', status: 404 },
  { name: 'answers HEAD on a bad id with 400 headers', method: 'HEAD', path: '/api/v1/threads/abc', status: 400 },
  // wrong methods
  { name: 'refuses GET on the replies path with Allow: POST', path: '/api/v1/threads/1/posts', status: 405 },
  { name: 'refuses GET on the replies path of a malformed id before checking it', path: '/api/v1/threads/abc/posts', status: 405 },
  { name: 'refuses HEAD on the replies path', method: 'HEAD', path: '/api/v1/threads/1/posts', status: 405 },
  // DELETE and PUT are not moved (methods: [GET]): the TS server passes them to legacy, so they are no parity cases.
];
