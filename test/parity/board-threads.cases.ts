/**
 * GET /api/v1/boards/<slug>/threads, a board's threads as JSON (newest activity first), moved to
 * services/boards (threads-api.ts). Starting a thread (POST on the same path) has not moved. In the tiny
 * seed `help` has 6 threads, `café` 4 (a slug that must be percent-encoded), `general` 2.
 */
import type { ParityCase } from './harness.ts';

const cafe = '/api/v1/boards/caf%C3%A9/threads';

export const BOARD_THREADS_CASES: readonly ParityCase[] = [
  { name: 'lists a board’s threads, newest activity first', path: '/api/v1/boards/help/threads', status: 200 },
  { name: 'lists a board with a non-ASCII slug', path: cafe, status: 200 },
  { name: 'matches the slug after percent-decoding', path: '/api/v1/boards/%68elp/threads', status: 200 },
  { name: 'answers HEAD like GET without a body', method: 'HEAD', path: '/api/v1/boards/help/threads', status: 200 },
  // paging
  { name: 'pages by per_page', path: '/api/v1/boards/help/threads?per_page=2&page=2', status: 200 },
  { name: 'gives the last page', path: '/api/v1/boards/help/threads?per_page=4&page=2', status: 200 },
  { name: 'gives an empty page past the end', path: '/api/v1/boards/help/threads?page=2', status: 200 },
  { name: 'accepts per_page 100', path: '/api/v1/boards/help/threads?per_page=100', status: 200 },
  { name: 'takes the first of repeated parameters', path: '/api/v1/boards/help/threads?page=2&page=x&per_page=3&per_page=0', status: 200 },
  { name: 'gives the largest page number with no threads', path: '/api/v1/boards/help/threads?page=9007199254740991&per_page=100', status: 200 },
  { name: 'decodes percent-escaped parameters', path: '/api/v1/boards/help/threads?%70er_page=%32', status: 200 },
  // errors
  { name: 'refuses per_page 101', path: '/api/v1/boards/help/threads?per_page=101', status: 400 },
  { name: 'refuses per_page 0', path: '/api/v1/boards/help/threads?per_page=0', status: 400 },
  { name: 'refuses page abc', path: '/api/v1/boards/help/threads?page=abc', status: 400 },
  { name: 'checks the paging before looking the board up', path: '/api/v1/boards/nothing/threads?page=0', status: 400 },
  { name: 'answers 404 naming a missing board', path: '/api/v1/boards/nothing/threads', status: 404 },
  { name: 'matches slugs case-sensitively', path: '/api/v1/boards/Help/threads', status: 404 },
  { name: 'names a missing slug that needs escaping in JSON', path: `/api/v1/boards/%22a%5Cb%22/threads`, status: 404 },
  { name: 'decodes a slug that is not UTF-8 as legacy does', path: '/api/v1/boards/%FF/threads', status: 404 },
];
