/** GET /api/v1/boards, moved to services/boards: the cases both sides must answer identically. */
import type { ParityCase } from './harness.ts';

export const BOARDS_CASES: readonly ParityCase[] = [
  { name: 'lists every board', path: '/api/v1/boards', status: 200 },
  { name: 'ignores unknown and paging parameters', path: '/api/v1/boards?page=abc&x=1', status: 200 },
  { name: 'answers HEAD like GET without a body', method: 'HEAD', path: '/api/v1/boards', status: 200 },
  { name: 'matches the path after percent-decoding', path: '/api/v1/%62oards', status: 200 },
  { name: 'refuses DELETE with Allow', method: 'DELETE', path: '/api/v1/boards', status: 405 },
  { name: 'refuses POST with Allow', method: 'POST', path: '/api/v1/boards', status: 405 },
  { name: 'answers 404 JSON for a trailing slash', path: '/api/v1/boards/', status: 404 },
  { name: 'answers 404 JSON for a longer name', path: '/api/v1/boardsX', status: 404 },
];
