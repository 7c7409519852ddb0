/**
 * The migrated thread endpoint (`GET /api/v1/threads/<id>`, JSON) answered by TS and by legacy through
 * the same kind of front door on the same data: legacy on its own threaded server, and on gunicorn
 * with one sync worker per core (how a team would run it in production). All three must answer the same
 * body before anything is measured.
 */
import { atLeast, p99Ratio, throughputRatio } from '../lib/checks.ts';
import { measureInterleaved } from '../lib/measure.ts';
import { formatMs } from '../lib/report/format.ts';
import { assertSameAnswers, TS_WORKERS, frontDoorAlone, sharedGunicorn, sharedStackEnv, startFrontDoor, threadPath, threadsOnLegacyRoutes } from '../lib/stack.ts';
import type { Scenario } from '../lib/types.ts';

export const migratedEndpoint: Scenario = {
  name: 'migrated-endpoint',
  title: 'Migrated endpoint (thread with posts, JSON)',
  measuredAs: 'TS / legacy throughput, same front door, same data; legacy on its threaded server and on gunicorn (sync, one worker per core)',
  goal: '≥ 5× throughput, TS p99 ≤ legacy p99 / 5',
  async run(ctx) {
    const env = await sharedStackEnv(ctx);
    const onLegacy = threadsOnLegacyRoutes(ctx);
    const gunicorn = await sharedGunicorn(ctx);
    const viaTs = await ctx.own(startFrontDoor(ctx, env));
    const viaThreaded = await ctx.own(startFrontDoor(ctx, { ...env, ROUTES: onLegacy }));
    const viaGunicorn = await ctx.own(startFrontDoor(ctx, { ...env, ROUTES: onLegacy, LEGACY_PORT: new URL(gunicorn.url).port }));
    const path = threadPath(ctx);
    await assertSameAnswers(path, { TS: viaTs.url, 'legacy (threaded)': viaThreaded.url, 'legacy (gunicorn)': viaGunicorn.url });

    const door = viaTs.kind;
    const configurations = await measureInterleaved(ctx, [
      { name: 'ts', label: `TS, ${TS_WORKERS} workers, through ${door}`, url: viaTs.url + path },
      { name: 'legacy-threaded', label: `legacy, threaded server, through ${door}`, url: viaThreaded.url + path },
      { name: 'legacy-gunicorn', label: `legacy, gunicorn ${gunicorn.workers} sync workers, through ${door}`, url: viaGunicorn.url + path },
      // One connection: what a single request costs on each side, without queueing.
      { name: 'ts-1', label: `TS through ${door}`, url: viaTs.url + path, connections: 1 },
      { name: 'legacy-threaded-1', label: `legacy, threaded server, through ${door}`, url: viaThreaded.url + path, connections: 1 },
      { name: 'legacy-gunicorn-1', label: `legacy, gunicorn, through ${door}`, url: viaGunicorn.url + path, connections: 1 },
      frontDoorAlone('front-door-alone', `${door} alone (its own 404)`, viaTs),
    ]);
    const [ts, threaded, gunicornRuns, tsOne, threadedOne, gunicornOne] = configurations;
    return {
      configurations,
      checks: [
        throughputRatio('TS / legacy (threaded) throughput', ts!, threaded!, atLeast(5)),
        p99Ratio('legacy (threaded) p99 / TS p99', ts!, threaded!, atLeast(5)),
        throughputRatio('TS / legacy (gunicorn) throughput', ts!, gunicornRuns!, atLeast(5)),
        p99Ratio('legacy (gunicorn) p99 / TS p99', ts!, gunicornRuns!, atLeast(5)),
      ],
      facts: { path, frontDoor: door, gunicornWorkers: gunicorn.workers, tsWorkers: TS_WORKERS },
      notes: [
        `one request at a time (p50, 1 connection): TS ${formatMs(tsOne!.p50Ms)}, legacy threaded ${formatMs(threadedOne!.p50Ms)}, legacy under gunicorn ${formatMs(gunicornOne!.p50Ms)}`,
      ],
    };
  },
};
