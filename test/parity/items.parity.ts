// test/parity/items.test.ts: the first parity file of a new app that moved GET /api/items to TS.
import { describe, it } from 'vitest';
import { createParityHarness, type ParityCase } from '../../gateway/parity/index.ts';

const CASES: ParityCase[] = [
  { name: 'lists the items', path: '/api/items', status: 200 },
  { name: 'answers one item', path: '/api/items/2', status: 200 },
  { name: 'answers 404 for a missing item', path: '/api/items/99', status: 404 },
  { name: 'answers 404 for an id that is no number', path: '/api/items/pear', status: 404 },
];

const parity = createParityHarness({
  routes: process.env.ROUTES ?? 'routes.yaml', // the table the TS server runs with
  legacyUrl: process.env.LEGACY_URL ?? 'http://127.0.0.1:8090', // the app itself, not the front door
  tsUrl: process.env.TS_URL ?? 'http://127.0.0.1:8081', // the TS server, started with STRANGLER_ANSWERED_BY=1
});

describe('parity of GET /api/items', () => {
  it.each(CASES.map((c) => [`${c.method ?? 'GET'} ${c.path}: ${c.name}`, c] as const))('%s', async (_title, c) => {
    await parity.expectParity(c);
  });
});
