/**
 * The TS server's opt-in `X-Strangler-Answered-By` (STRANGLER_ANSWERED_BY=1), as a real process next to
 * the real legacy app on the repository's routes.yaml: what parity suites rely on to tell a TS answer from
 * one passed on from legacy.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRouteTable } from '../../gateway/routes/index.ts';
import { ROOT } from '../helpers/processes.ts';
import { runTs, startPair, type Pair } from './pair.ts';

// The revision depends on the file's text only, not on the ports its variables name.
const { revision } = loadRouteTable(join(ROOT, 'routes.yaml'), { LEGACY_PORT: '1', TS_PORT: '1' });

let pair: Pair;
beforeAll(async () => {
  pair = await startPair({ tsEnv: () => ({ STRANGLER_ANSWERED_BY: '1' }) });
});
afterAll(async () => {
  await pair?.stop();
});

describe('STRANGLER_ANSWERED_BY=1', () => {
  it('marks a moved GET as answered by ts and a passed-on request as answered by legacy, each with its route and revision', async () => {
    const moved = await fetch(`${pair.ts.url}/api/v1/boards`);
    const passed = await fetch(`${pair.ts.url}/no/such/page`);
    expect([moved.status, moved.headers.get('x-strangler-answered-by')]).toEqual([200, `ts; route="/api/v1/boards"; revision=${revision}`]);
    expect([passed.status, passed.headers.get('x-strangler-answered-by')]).toEqual([404, `legacy; route="/"; revision=${revision}`]);
  });

  it('names legacy for a method the route has not moved', async () => {
    const posted = await fetch(`${pair.ts.url}/api/v1/boards`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(posted.headers.get('x-strangler-answered-by')).toBe(`legacy; route="/api/v1/boards"; revision=${revision}`);
  });

  it('refuses to start for any other value than 0 or 1, naming both', () => {
    const result = runTs({ STRANGLER_ANSWERED_BY: 'yes' });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('STRANGLER_ANSWERED_BY=yes is not one of 0, 1');
  });
});
