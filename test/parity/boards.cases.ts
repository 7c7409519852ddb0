/** GET /api/v1/boards, moved to services/boards: the cases both sides must answer identically. */
import type { ParityCase } from './harness.ts';

export const BOARDS_CASES: readonly ParityCase[] = [
  { name: 'lists every board', path: '/api/v1/boards', status: 200 },
  { name: 'ignores unknown and paging parameters', path: '/api/v1/boards?page=abc&x=1', status: 200 },
  { name: 'answers HEAD like GET without a body', method: 'HEAD', path: '/api/v1/boards', status: 200 },
  { name: 'matches the path after percent-decoding', path: '/api/v1/%62oards', status: 200 },
  // Other methods and neighbouring paths (a trailing slash, a longer name) are legacy's in the table: the TS
  // server passes them on, so they are no parity cases (the harness refuses them); test/server covers the passing on.
];
