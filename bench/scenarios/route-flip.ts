/**
 * Command to agreement: `strangler set` flips the thread route between legacy and next on a stack of
 * its own (`strangler up`, the run's front door and TS workers), and each flip is timed from the moment
 * the command starts until it returns, which is when every process (each TS worker, the front door)
 * reports the new revision. Also reported: the part inside the stack (the table checked, applied in the
 * safe order and agreed on), which the command prints, and the command's own start (Node, tsx, the
 * control socket) as the difference.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ROOT } from '../../test/helpers/processes.ts';
import { runUp } from '../../test/helpers/up.ts';
import { strangler } from '../../test/control/load.ts';
import { atMost, check } from '../lib/checks.ts';
import { copyOfForumDatabase, TS_WORKERS_ENV } from '../lib/stack.ts';
import { median } from '../lib/stats.ts';
import type { Scenario } from '../lib/types.ts';

const ROUTE = '/api/v1/threads';
const spread = (values: number[]) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });

export const routeFlip: Scenario = {
  name: 'route-flip',
  title: 'Command to agreement',
  measuredAs: '`strangler set` flipping a route between legacy and next, from the command start until every process serves the new revision (the command waits for that)',
  goal: 'p50 < 1 s',
  async run(ctx) {
    const dir = ctx.subdir('route-flip');
    const routes = join(dir, 'routes.yaml');
    copyFileSync(join(ROOT, 'routes.yaml'), routes);
    const env = ctx.env({
      ROUTES: routes,
      STRANGLER_STATE_DIR: join(dir, 'state'),
      FORUM_DB: await copyOfForumDatabase(ctx),
      STRANGLER_FRONT_DOOR: ctx.frontDoor,
      FRONT_PORT: String(await freePort()),
      TS_PORT: String(await freePort()),
      LEGACY_PORT: '0',
      ...TS_WORKERS_ENV,
    });
    const up = await ctx.own(Promise.resolve(runUp(env)));
    await up.waitFor(/front door\s+(http:\/\/\S+)/, 120_000);
    const flips = ctx.options.mode === 'quick' ? 4 : 20;
    const wall: number[] = [];
    const inStack: number[] = [];
    for (let flip = 0; flip < flips; flip++) {
      const args = flip % 2 === 0 ? ['set', ROUTE, 'legacy', '--why', 'bench'] : ['set', ROUTE, 'next', '--handler', 'threads', '--methods', 'GET', '--why', 'bench'];
      const started = performance.now();
      const result = await strangler(args, env);
      wall.push(performance.now() - started);
      const agreed = /agreed after (\d+) ms/.exec(result.stdout);
      if (result.status !== 0 || !agreed) throw new Error(`strangler ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
      inStack.push(Number(agreed[1]));
    }
    return {
      configurations: [],
      checks: [
        check(`command to agreement p50, ${flips} flips (${ctx.frontDoor}, ${TS_WORKERS_ENV.TS_WORKERS} TS workers)`, spread(wall), 'ms', atMost(1000, 'ms')),
        check('inside the stack: checked, applied in order, every process agreeing (p50)', spread(inStack), 'ms', null),
        check("the command's own start (Node, tsx, control socket), p50", spread(wall.map((w, i) => w - inStack[i]!)), 'ms', null),
      ],
    };
  },
};
