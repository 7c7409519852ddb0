/**
 * The migrated HTML thread page (`GET /t/<id>`): how long TS takes to render it in-process (legacy's
 * templates, real rows, no I/O), and TS against legacy end to end through the same front door. Every
 * GET counts a view, and the threads table is legacy's: the TS page counts views in memory and sends
 * them to legacy in batches (one internal call a second, never one per page); each TS server here sends
 * its batches to the legacy it is compared with.
 */
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../../test/helpers/processes.ts';
import { startTs } from '../../test/helpers/stack.ts';
import { openForumDb } from '../../services/forum-common/index.ts';
import { renderThreadPage, type ThreadPageData } from '../../services/threads/index.ts';
import { prepareThreadQueries } from '../../services/threads/queries.ts';
import type { BenchContext } from '../lib/context.ts';
import { atLeast, atMost, check, throughputRatio } from '../lib/checks.ts';
import { measureInterleaved } from '../lib/measure.ts';
import { spread } from '../lib/stats.ts';
import {
  assertSameAnswers,
  TS_WORKERS_ENV,
  forumDatabase,
  frontDoorAlone,
  withoutRoute,
  sharedGunicorn,
  sharedStackEnv,
  startFrontDoor,
  writeRoutes,
  type RouteEntry,
} from '../lib/stack.ts';
import type { Scenario } from '../lib/types.ts';

const PAGE_ROUTE = '/t';
const RENDERS_PER_ROUND = { quick: 300, full: 3_000 } as const;
const POSTS_PER_PAGE = 50;
// The one part of the page that differs between two GETs: each counts a view.
const sameViews = (html: string): string => html.replace(/ · \d+ views</, ' · N views<');

export const migratedPage: Scenario = {
  name: 'migrated-page',
  title: 'Migrated HTML page (thread page)',
  measuredAs: 'TS render time in-process; TS / legacy end to end, same front door, same data',
  goal: 'p50 render ≤ 2 ms; ≥ 5× end to end',
  unavailable: () => (pageMovedToTs() ? null : `routes.yaml has no route for ${PAGE_ROUTE} in mode next`),
  async run(ctx) {
    const renders = await measureRender(ctx);
    const env = await sharedStackEnv(ctx);
    const gunicorn = await sharedGunicorn(ctx);
    const gunicornEnv = { ...env, LEGACY_PORT: new URL(gunicorn.url).port };
    const onLegacy = writeRoutes(ctx, 'page-on-legacy', withoutRoute(PAGE_ROUTE));
    const tsCallingGunicorn = await ctx.own(startTs({ ...gunicornEnv, ...TS_WORKERS_ENV, TS_PORT: '0' }));
    const ts = await ctx.own(startFrontDoor(ctx, env));
    const threaded = await ctx.own(startFrontDoor(ctx, { ...env, ROUTES: onLegacy }));
    const tsGunicorn = await ctx.own(startFrontDoor(ctx, { ...gunicornEnv, TS_PORT: String(tsCallingGunicorn.port) }));
    const onGunicorn = await ctx.own(startFrontDoor(ctx, { ...gunicornEnv, ROUTES: onLegacy }));
    const path = `${PAGE_ROUTE}/${ctx.options.threadId}`;
    await assertSameAnswers(
      path,
      { TS: ts.url, 'legacy (threaded)': threaded.url, 'TS (views batched to gunicorn)': tsGunicorn.url, 'legacy (gunicorn)': onGunicorn.url },
      sameViews,
    );

    const door = ts.kind;
    const configurations = await measureInterleaved(ctx, [
      { name: 'ts', label: `TS through ${door} (views batched to legacy, threaded)`, url: ts.url + path },
      { name: 'legacy-threaded', label: `legacy, threaded server, through ${door}`, url: threaded.url + path },
      { name: 'ts-gunicorn', label: `TS through ${door} (views batched to legacy on gunicorn)`, url: tsGunicorn.url + path },
      { name: 'legacy-gunicorn', label: `legacy, gunicorn ${gunicorn.workers} sync workers, through ${door}`, url: onGunicorn.url + path },
      frontDoorAlone('front-door-alone', `${door} alone (its own 404)`, ts),
    ]);
    const [tsRuns, threadedRuns, tsGunicornRuns, gunicornRuns] = configurations;
    return {
      configurations,
      checks: [
        check(`p50 render in-process (${renders.posts} posts)`, spread(renders.p50Ms), 'ms', atMost(2, 'ms')),
        check('p99 render in-process', spread(renders.p99Ms), 'ms', null),
        throughputRatio('TS / legacy (threaded) end to end', tsRuns!, threadedRuns!, atLeast(5)),
        throughputRatio('TS / legacy (gunicorn) end to end', tsGunicornRuns!, gunicornRuns!, atLeast(5)),
      ],
      facts: { path, frontDoor: door, rendersPerRound: RENDERS_PER_ROUND[ctx.options.mode], htmlBytes: renders.bytes },
    };
  },
};

/** Whether routes.yaml sends the thread page to a TS handler. */
function pageMovedToTs(): boolean {
  const table = parse(readFileSync(join(ROOT, 'routes.yaml'), 'utf8')) as { routes?: RouteEntry[] };
  return (table.routes ?? []).some((route) => route.path === PAGE_ROUTE && route.mode === 'next');
}

/** Render the run's thread page (page 1, a guest) round after round in this process; p50 and p99 per round. */
async function measureRender(ctx: BenchContext): Promise<{ p50Ms: number[]; p99Ms: number[]; posts: number; bytes: number }> {
  const db = openForumDb(await forumDatabase(ctx));
  try {
    const queries = prepareThreadQueries(db);
    const id = ctx.options.threadId;
    const thread = queries.thread(id);
    if (thread === undefined) throw new Error(`thread ${id} is not in the ${ctx.options.seed} seed; set BENCH_THREAD_ID`);
    const total = queries.countPosts(id);
    const data: ThreadPageData = { thread, posts: queries.posts(id, POSTS_PER_PAGE, 0n), page: 1, pages: Math.max(1, Math.ceil(total / POSTS_PER_PAGE)), viewer: null, csrf: '' };
    const count = RENDERS_PER_ROUND[ctx.options.mode];
    const bytes = Buffer.byteLength(renderThreadPage(data));
    for (let i = 0; i < count; i++) renderThreadPage(data); // warm-up: the JIT, the templates
    const p50Ms: number[] = [];
    const p99Ms: number[] = [];
    for (let round = 1; round <= ctx.options.rounds; round++) {
      const times = Array.from({ length: count }, () => {
        const started = performance.now();
        renderThreadPage(data);
        return performance.now() - started;
      }).sort((a, b) => a - b);
      p50Ms.push(times[Math.floor(count / 2)]!);
      p99Ms.push(times[Math.floor(count * 0.99)]!);
      ctx.log(
        `  round ${round}/${ctx.options.rounds} render in-process (${data.posts.length} posts, ${bytes} bytes): p50 ${p50Ms.at(-1)!.toFixed(3)} ms, p99 ${p99Ms.at(-1)!.toFixed(3)} ms`,
      );
    }
    return { p50Ms, p99Ms, posts: data.posts.length, bytes };
  } finally {
    db.close();
  }
}
