/**
 * GET /, the home page (every board), moved to services/boards (pages.ts). Only this exact path moved:
 * every other path stays with legacy through the default route. In the tiny seed the boards are
 * `general`, `help` and `café` (a slug that must be percent-encoded in its link).
 */
import type { ParityCase } from './harness.ts';

const alice = 'forum_session={session:alice}; forum_csrf=abc';

export const HOME_PAGE_CASES: readonly ParityCase[] = [
  { name: 'lists every board for a guest', path: '/', status: 200 },
  { name: 'lists every board for alice, with the csrf cookie in her logout form', path: '/', cookie: alice, status: 200 },
  { name: 'renders a signed-in page without a csrf cookie', path: '/', cookie: 'forum_session={session:bob}', status: 200 },
  { name: 'renders a guest page for an unknown session', path: '/', cookie: 'forum_session=not-a-session; forum_csrf=abc', status: 200 },
  { name: 'escapes a csrf cookie that needs it', path: '/', cookie: 'forum_session={session:alice}; forum_csrf=<a>&"b"', status: 200 },
  { name: 'takes the first of repeated cookies', path: '/', cookie: 'forum_session=nobody; forum_session={session:carol}', status: 200 },
  { name: 'ignores the query', path: '/?page=0&per_page=abc', status: 200 },
  { name: 'answers HEAD like GET without a body', method: 'HEAD', path: '/', status: 200 },
  { name: 'answers HEAD for alice', method: 'HEAD', path: '/', cookie: alice, status: 200 },
];
