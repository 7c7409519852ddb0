/**
 * GET /live/t/<id>, moved to services/live: the answers that end (errors). The streams themselves are
 * compared byte for byte in live.test.ts, which reads both while they are open.
 */
import type { ParityCase } from './harness.ts';

export const LIVE_CASES: readonly ParityCase[] = [
  { name: 'answers the HTML 404 page for a missing thread', path: '/live/t/999999', status: 404 },
  { name: 'answers the HTML 404 page for the largest id', path: '/live/t/9007199254740991', status: 404 },
  { name: 'refuses id abc with the HTML 400 page', path: '/live/t/abc', status: 400 },
  { name: 'refuses id 0', path: '/live/t/0', status: 400 },
  { name: 'refuses id 01', path: '/live/t/01', status: 400 },
  { name: 'refuses an id past 2^53 - 1', path: '/live/t/9007199254740992', status: 400 },
];
