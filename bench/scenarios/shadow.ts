/**
 * Shadow mode's cost to the user: the board thread list (`/api/v1/boards/<slug>/threads`, the route
 * routes.yaml shadows) through the front door and the TS server to legacy under gunicorn, in plain legacy
 * mode (the TS server proxies it) against shadow mode at 100% sampling (legacy answers, the TS boards
 * handler gets a copy, both answers compared, legacy asked twice for 10% of them), with the copy started
 * once legacy's answer is out and, on a third TS server, beside it. p50 and p99 at one connection (what
 * one user waits) and at the run's connections (under load, where the copies compete for the cores),
 * and throughput under load, all as ratios per round. The copies' own fate (sent, dropped, compared, equal)
 * is read back from each server's evidence store.
 */
import { join } from 'node:path';
import { startTs } from '../../test/helpers/stack.ts';
import { openEvidence } from '../../gateway/evidence/index.ts';
import { atMost, check, throughputRatio, p50Ratio } from '../lib/checks.ts';
import { measureInterleaved, type Target } from '../lib/measure.ts';
import { paired } from '../lib/stats.ts';
import { assertSameAnswers, replaceRoute, sharedGunicorn, sharedStackEnv, startFrontDoor, TS_WORKERS_ENV, writeRoutes, type Listening } from '../lib/stack.ts';
import type { BenchContext } from '../lib/context.ts';
import type { Check, ConfigurationResult, Scenario } from '../lib/types.ts';

const ROUTE = '/api/v1/boards/*/threads';
// No copy dropped for lack of room: the figure is the cost of copying every request.
const UNBOUNDED = 10_000;
const GOAL = 1.1;
const EVIDENCE_FLUSH_MS = 1000;

type Mode = 'legacy' | 'after-answer' | 'parallel';

export const shadow: Scenario = {
  name: 'shadow',
  title: 'Shadow mode',
  measuredAs:
    'board thread list via front door → TS → legacy (gunicorn): shadow mode at 100% sampling / the same route in plain legacy mode; p50 and p99 at 1 connection and under load, throughput under load; copy started after legacy’s answer and beside it',
  goal: 'p50 and p99 ≤ 1.1×; throughput reported',
  async run(ctx) {
    const gunicorn = await sharedGunicorn(ctx);
    const env = { ...(await sharedStackEnv(ctx)), LEGACY_PORT: new URL(gunicorn.url).port };
    const legacyRoutes = writeRoutes(ctx, 'board-threads-legacy', replaceRoute(ROUTE, { path: ROUTE, exact: true, mode: 'legacy' }));
    const shadowRoutes = writeRoutes(
      ctx,
      'board-threads-shadow',
      replaceRoute(ROUTE, { path: ROUTE, exact: true, mode: 'shadow', handler: 'boards', methods: ['GET'], shadow: { sample_percent: 100, max_concurrent: UNBOUNDED } }),
    );
    const doors = {
      legacy: await stackFor(ctx, env, legacyRoutes, 'legacy'),
      'after-answer': await stackFor(ctx, env, shadowRoutes, 'after-answer'),
      parallel: await stackFor(ctx, env, shadowRoutes, 'parallel'),
    } satisfies Record<Mode, Listening & { stateDir: string }>;
    const thread = (await (await fetch(`${gunicorn.url}/api/v1/threads/${ctx.options.threadId}`)).json()) as { thread: { board: string } };
    const path = `/api/v1/boards/${encodeURIComponent(thread.thread.board)}/threads`;
    await assertSameAnswers(path, { 'plain legacy mode': doors.legacy.url, 'shadow, after the answer': doors['after-answer'].url, 'shadow, in parallel': doors.parallel.url });

    const door = ctx.frontDoor;
    const label = (mode: Mode): string =>
      mode === 'legacy' ? `${door} → TS → legacy, plain legacy mode` : `${door} → TS → legacy, shadow 100% (copy ${mode === 'parallel' ? 'in parallel' : 'after the answer'})`;
    const targets: Target[] = (['legacy', 'after-answer', 'parallel'] as const).flatMap((mode) => [
      { name: `${mode}-1`, label: label(mode), url: doors[mode].url + path, connections: 1 },
      { name: `${mode}-n`, label: label(mode), url: doors[mode].url + path },
    ]);
    const measured = await measureInterleaved(ctx, targets);
    const named = (name: string): ConfigurationResult => measured.find((c) => c.name === name)!;
    const [legacyOne, legacyLoaded, afterOne, afterLoaded, parallelOne, parallelLoaded] = [
      'legacy-1',
      'legacy-n',
      'after-answer-1',
      'after-answer-n',
      'parallel-1',
      'parallel-n',
    ].map(named);
    // The servers write their evidence once a second: the last second's copies are in after one more.
    await new Promise((r) => setTimeout(r, EVIDENCE_FLUSH_MS + 200));
    const copies = (mode: Mode) => evidenceOf(doors[mode].stateDir, ROUTE);
    const after = copies('after-answer');
    const parallel = copies('parallel');
    return {
      configurations: measured,
      checks: [
        ...latencyChecks('copy after the answer', afterOne!, afterLoaded!, legacyOne!, legacyLoaded!, ctx.options.connections),
        throughputRatio(`throughput, shadow 100% (after the answer) / plain legacy, ${ctx.options.connections} connections`, afterLoaded!, legacyLoaded!, null),
        ...latencyChecks('copy in parallel', parallelOne!, parallelLoaded!, legacyOne!, legacyLoaded!, ctx.options.connections),
        throughputRatio(`throughput, shadow 100% (in parallel) / plain legacy, ${ctx.options.connections} connections`, parallelLoaded!, legacyLoaded!, null),
      ],
      facts: {
        path,
        frontDoor: door,
        legacy: 'gunicorn',
        copiesSentAfterAnswer: after.sent,
        copiesDroppedAfterAnswer: after.dropped,
        comparisonsAfterAnswer: after.compared,
        mismatchesAfterAnswer: after.mismatches,
        copiesSentParallel: parallel.sent,
        copiesDroppedParallel: parallel.dropped,
        comparisonsParallel: parallel.compared,
        mismatchesParallel: parallel.mismatches,
      },
      notes: [
        `after the answer: ${after.sent} copies sent, ${after.dropped} dropped, ${after.compared} compared (${after.mismatches} mismatches); in parallel: ${parallel.sent} sent, ${parallel.dropped} dropped, ${parallel.compared} compared (${parallel.mismatches} mismatches)`,
        'the TS server starts copies after the answer by default (STRANGLER_SHADOW_START=after-answer); `parallel` is kept for comparison',
      ],
    };
  },
};

/** A TS server on `routes` (copies started as `mode` says, evidence in a directory of its own) and a front door to it. */
async function stackFor(ctx: BenchContext, env: Record<string, string>, routes: string, mode: Mode): Promise<Listening & { stateDir: string }> {
  const stateDir = ctx.subdir(`state-${mode}`);
  const ts = await ctx.own(
    startTs({ ...env, ...TS_WORKERS_ENV, ROUTES: routes, TS_PORT: '0', STRANGLER_STATE_DIR: stateDir, ...(mode === 'legacy' ? {} : { STRANGLER_SHADOW_START: mode }) }),
  );
  const front = await ctx.own(startFrontDoor(ctx, { ...env, ROUTES: routes, TS_PORT: String(ts.port) }));
  return { ...front, stateDir };
}

function latencyChecks(
  how: string,
  one: ConfigurationResult,
  loaded: ConfigurationResult,
  legacyOne: ConfigurationResult,
  legacyLoaded: ConfigurationResult,
  connections: number,
): Check[] {
  const p99 = (a: ConfigurationResult, b: ConfigurationResult) =>
    paired(
      a.runs.map((r) => r.p99Ms),
      b.runs.map((r) => r.p99Ms),
      (x, y) => x / y,
    );
  return [
    p50Ratio(`user p50, shadow (${how}) / plain legacy, 1 connection`, one, legacyOne, atMost(GOAL)),
    check(`user p99, shadow (${how}) / plain legacy, 1 connection`, p99(one, legacyOne), '×', atMost(GOAL)),
    p50Ratio(`user p50, shadow (${how}) / plain legacy, ${connections} connections`, loaded, legacyLoaded, atMost(GOAL)),
    check(`user p99, shadow (${how}) / plain legacy, ${connections} connections`, p99(loaded, legacyLoaded), '×', atMost(GOAL)),
  ];
}

/** What a TS server's copies came to, from its evidence store (flushed at its shutdown or once a second). */
function evidenceOf(stateDir: string, route: string): { sent: number; dropped: number; compared: number; mismatches: number } {
  const store = openEvidence(join(stateDir, 'state.db'));
  try {
    const e = store.window(route, 0);
    return { sent: e.shadow.sent, dropped: e.shadow.droppedConcurrency, compared: e.comparisons.total, mismatches: e.comparisons.mismatches };
  } finally {
    store.close();
  }
}
