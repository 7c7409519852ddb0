/**
 * A method split: the thread route is `next` for POST only, so the TS server proxies every GET on it to
 * legacy (as it does for the methods a team has not moved yet). Against it: the front door sending the
 * same GET straight to legacy, the same legacy process, so the difference is the TS hop. Measured with
 * legacy on its threaded server (what the project deploys) and under gunicorn (where legacy answers
 * fast enough for the hop's own cost to show); the added latency is taken against gunicorn, since the
 * threaded server's answers take about 40 ms each at one connection (see bench/README.md).
 */
import { startTs } from '../../test/helpers/stack.ts';
import type { BenchContext } from '../lib/context.ts';
import { addedP50, atLeast, atMost, throughputRatio } from '../lib/checks.ts';
import { measureInterleaved } from '../lib/measure.ts';
import {
  assertSameAnswers,
  TS_WORKERS_ENV,
  replaceRoute,
  sharedGunicorn,
  sharedLegacy,
  sharedStackEnv,
  startFrontDoor,
  threadPath,
  threadsOnLegacyRoutes,
  writeRoutes,
  type Listening,
} from '../lib/stack.ts';
import type { Scenario } from '../lib/types.ts';

export const tsProxy: Scenario = {
  name: 'ts-proxy',
  title: 'TS proxying to legacy (method split)',
  measuredAs: 'through the TS proxy / front door straight to legacy',
  goal: '≥ 0.9×, added p50 ≤ 1 ms',
  async run(ctx) {
    const [legacy, gunicorn] = [await sharedLegacy(ctx), await sharedGunicorn(ctx)];
    const threaded = await methodSplit(ctx, String(legacy.port));
    const fast = await methodSplit(ctx, new URL(gunicorn.url).port);
    const path = threadPath(ctx);
    const door = ctx.frontDoor;
    const configurations = await measureInterleaved(ctx, [
      { name: 'via-ts-threaded', label: `${door} → TS proxy → legacy (threaded)`, url: threaded.viaTs.url + path },
      { name: 'straight-threaded', label: `${door} → legacy (threaded)`, url: threaded.straight.url + path },
      { name: 'via-ts-gunicorn', label: `${door} → TS proxy → legacy (gunicorn)`, url: fast.viaTs.url + path },
      { name: 'straight-gunicorn', label: `${door} → legacy (gunicorn)`, url: fast.straight.url + path },
      { name: 'via-ts-gunicorn-1', label: `${door} → TS proxy → legacy (gunicorn)`, url: fast.viaTs.url + path, connections: 1 },
      { name: 'straight-gunicorn-1', label: `${door} → legacy (gunicorn)`, url: fast.straight.url + path, connections: 1 },
      { name: 'gunicorn-alone', label: 'legacy (gunicorn) alone, direct', url: gunicorn.url + path, role: 'ceiling' },
    ]);
    const [viaThreaded, straightThreaded, viaGunicorn, straightGunicorn, viaGunicornOne, straightGunicornOne] = configurations;
    return {
      configurations,
      checks: [
        throughputRatio('through TS proxy / straight, legacy threaded', viaThreaded!, straightThreaded!, atLeast(0.9)),
        throughputRatio('through TS proxy / straight, legacy on gunicorn', viaGunicorn!, straightGunicorn!, atLeast(0.9)),
        addedP50('p50 added by the TS proxy (gunicorn, 1 connection)', viaGunicornOne!, straightGunicornOne!, atMost(1, 'ms')),
      ],
      facts: { path, frontDoor: door },
    };
  },
};

/** A TS server proxying the thread GETs to the legacy on `legacyPort`, a front door to it, and one straight to that legacy. */
async function methodSplit(ctx: BenchContext, legacyPort: string): Promise<{ viaTs: Listening; straight: Listening }> {
  const env = { ...(await sharedStackEnv(ctx)), LEGACY_PORT: legacyPort };
  // GET is not in the method list, so the TS server hands it to legacy.
  const postOnly = writeRoutes(ctx, 'threads-post-only', replaceRoute('/api/v1/threads', { path: '/api/v1/threads', mode: 'next', handler: 'threads', methods: ['POST'] }));
  const proxyingTs = await ctx.own(startTs({ ...env, ...TS_WORKERS_ENV, ROUTES: postOnly, TS_PORT: '0' }));
  const viaTs = await ctx.own(startFrontDoor(ctx, { ...env, ROUTES: postOnly, TS_PORT: String(proxyingTs.port) }));
  const straight = await ctx.own(startFrontDoor(ctx, { ...env, ROUTES: threadsOnLegacyRoutes(ctx) }));
  await assertSameAnswers(threadPath(ctx), { 'through the TS proxy': viaTs.url, 'straight to legacy': straight.url });
  return { viaTs, straight };
}
