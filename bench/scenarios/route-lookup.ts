/**
 * The repository's route table's lookup on a long path, in process: what the TS server's matcher costs per request.
 * A time, so it lives here and not in a unit test (a loaded machine would fail any bound there).
 */
import { join } from 'node:path';
import { loadRouteTable } from '../../gateway/routes/index.ts';
import { ROOT } from '../../test/helpers/processes.ts';
import { atMost, check } from '../lib/checks.ts';
import { median } from '../lib/stats.ts';
import type { Scenario } from '../lib/types.ts';

const LONG_PATH = '/api/v1/threads/12/posts/34/reactions/56/users';
const LOOKUPS_PER_ROUND = 200_000;
const NS_PER_US = 1_000;

export const routeLookup: Scenario = {
  name: 'route-lookup',
  title: 'Route lookup',
  measuredAs: `mean time of RouteTable.match on a ${LONG_PATH.split('/').length - 1}-segment path, in process`,
  goal: '≤ 2 µs',
  async run(ctx) {
    const table = loadRouteTable(join(ROOT, 'routes.yaml'), {});
    for (let i = 0; i < LOOKUPS_PER_ROUND; i++) table.match(LONG_PATH); // warm-up: let the JIT settle
    const perRound: number[] = [];
    for (let round = 0; round < Math.max(3, ctx.options.rounds); round++) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < LOOKUPS_PER_ROUND; i++) table.match(LONG_PATH);
      perRound.push(Number(process.hrtime.bigint() - started) / LOOKUPS_PER_ROUND / NS_PER_US);
    }
    return {
      configurations: [],
      checks: [check('µs per lookup on a long path', { median: median(perRound), min: Math.min(...perRound), max: Math.max(...perRound) }, '', atMost(2, ''))],
    };
  },
};
