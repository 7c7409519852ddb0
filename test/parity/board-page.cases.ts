/**
 * GET /b/<slug>, a board's page (its threads, newest activity first), moved to services/boards
 * (pages.ts). Starting a thread (POST /b/<slug>/new) has not moved. In the tiny seed `help` has 6
 * threads, `café` 4 (a slug that must be percent-encoded), `general` 2.
 */
import type { ParityCase } from './harness.ts';

const alice = 'forum_session={session:alice}; forum_csrf=abc';
const cafe = '/b/caf%C3%A9';

export const BOARD_PAGE_CASES: readonly ParityCase[] = [
  // guest and signed in
  { name: 'renders a board for a guest with the login hint', path: '/b/help', status: 200 },
  { name: 'renders a board with a non-ASCII slug', path: cafe, status: 200 },
  { name: 'renders a board for alice with the new-thread form', path: cafe, cookie: alice, status: 200 },
  { name: 'renders a signed-in page without a csrf cookie', path: '/b/general', cookie: 'forum_session={session:bob}', status: 200 },
  { name: 'renders a guest page for an unknown session', path: '/b/general', cookie: 'forum_session=not-a-session; forum_csrf=abc', status: 200 },
  { name: 'escapes a csrf cookie that needs it', path: '/b/help', cookie: 'forum_session={session:alice}; forum_csrf=<a>&"b"', status: 200 },
  { name: 'matches the slug after percent-decoding', path: '/b/%68elp', status: 200 },
  // paging
  { name: 'pages by per_page', path: '/b/help?per_page=2&page=2', status: 200 },
  { name: 'renders the last page', path: '/b/help?per_page=4&page=2', status: 200 },
  { name: 'renders a page past the end with no threads', path: '/b/help?page=2', status: 200 },
  { name: 'accepts per_page 100', path: '/b/help?per_page=100', status: 200 },
  { name: 'accepts per_page 1 on the last page', path: '/b/help?per_page=1&page=6', status: 200 },
  { name: 'takes the first of repeated parameters', path: '/b/help?page=2&page=x&per_page=3&per_page=0', status: 200 },
  { name: 'renders the largest page number with no threads', path: '/b/help?page=9007199254740991&per_page=100', status: 200 },
  { name: 'decodes percent-escaped parameters', path: '/b/help?%70er_page=%32', status: 200 },
  { name: 'pages a board with a non-ASCII slug, its links escaped', path: `${cafe}?per_page=1&page=2`, cookie: alice, status: 200 },
  // errors
  { name: 'refuses per_page 101', path: '/b/help?per_page=101', status: 400 },
  { name: 'refuses per_page 0', path: '/b/help?per_page=0', status: 400 },
  { name: 'refuses page 0', path: '/b/help?page=0', status: 400 },
  { name: 'refuses page abc', path: '/b/help?page=abc', status: 400 },
  { name: 'refuses an empty page', path: '/b/help?page=', status: 400 },
  { name: 'checks the page before looking the board up', path: '/b/nothing?page=0', status: 400 },
  { name: 'answers 404 naming a missing board', path: '/b/nothing', status: 404 },
  { name: 'answers 404 for a missing board to a signed-in viewer', path: '/b/nothing', cookie: alice, status: 404 },
  { name: 'matches slugs case-sensitively', path: '/b/Help', status: 404 },
  { name: 'escapes a missing slug that needs it', path: `/b/%3Cscript%3E'%22&`, status: 404 },
  { name: 'reads a slug that is not UTF-8 as legacy does', path: '/b/%FF%C3', status: 404 },
  { name: 'reads a slug with a space and a plus', path: '/b/a%20b+c', status: 404 },
  // other paths under /b
  { name: 'answers the 404 page for the bare prefix', path: '/b', status: 404 },
  { name: 'answers the 404 page for the prefix with a slash', path: '/b/', status: 404 },
  { name: 'answers the 404 page for a trailing slash', path: '/b/help/', status: 404 },
  { name: 'answers the 404 page for an unknown subpath', path: '/b/help/nothing', status: 404 },
  { name: 'answers the 404 page for an encoded slash in the slug', path: '/b/he%2Flp', status: 404 },
  { name: 'refuses GET on the new-thread path with Allow: POST', path: '/b/help/new', status: 405 },
  { name: 'refuses GET on the new-thread path of a missing board', path: '/b/nothing/new', status: 405 },
  // HEAD
  { name: 'answers HEAD like GET without a body', method: 'HEAD', path: '/b/help', status: 200 },
  { name: 'answers HEAD for alice', method: 'HEAD', path: cafe, cookie: alice, status: 200 },
  { name: 'answers HEAD on a missing board with the 404 headers', method: 'HEAD', path: '/b/nothing', status: 404 },
  { name: 'answers HEAD on a bad page with the 400 headers', method: 'HEAD', path: '/b/help?page=0', status: 400 },
  { name: 'refuses HEAD on the new-thread path', method: 'HEAD', path: '/b/help/new', status: 405 },
];
