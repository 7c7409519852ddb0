/**
 * Shadow mode's cost to the user: the board thread list (`/api/v1/boards/<slug>/threads`, the route
 * routes.yaml shadows) through the front door and the TS server to legacy under gunicorn, in plain legacy
 * mode (the TS server proxies it) against shadow mode at 100% sampling (legacy answers, the TS boards
 * handler gets a copy, both answers compared, legacy asked twice for 10% of them), with the copy run in
 * the TS server's low-priority shadow process (the default runner) and, on a third TS server, in the
 * serving process beside legacy (inline, parallel). p50 and p99 at one connection (what one user waits)
 * and at the run's connections (under load, where the copies compete for the cores), and throughput
 * under load, all as ratios per round. The copies' own fate (sent, dropped, failed, compared, equal) is
 * read back from each server's evidence store, and the shadow processes' memory from /proc.
 */
import { execFileSync } from 'node:child_process';
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

type Mode = 'legacy' | 'inline' | 'process';

export const shadow: Scenario = {
  name: 'shadow',
  title: 'Shadow mode',
  measuredAs:
    'board thread list via front door → TS → legacy (gunicorn): shadow mode at 100% sampling / the same route in plain legacy mode; p50 and p99 at 1 connection and under load, throughput under load; copy in the low-priority shadow process and inline beside legacy',
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
      inline: await stackFor(ctx, env, shadowRoutes, 'inline'),
      process: await stackFor(ctx, env, shadowRoutes, 'process'),
    } satisfies Record<Mode, Listening & { stateDir: string; shadowRssMb: () => number[] }>;
    const thread = (await (await fetch(`${gunicorn.url}/api/v1/threads/${ctx.options.threadId}`)).json()) as { thread: { board: string } };
    const path = `/api/v1/boards/${encodeURIComponent(thread.thread.board)}/threads`;
    await assertSameAnswers(path, { 'plain legacy mode': doors.legacy.url, 'shadow, inline in parallel': doors.inline.url, 'shadow, in the shadow process': doors.process.url });

    const door = ctx.frontDoor;
    const label = (mode: Mode): string =>
      mode === 'legacy'
        ? `${door} → TS → legacy, plain legacy mode`
        : `${door} → TS → legacy, shadow 100% (copy ${mode === 'inline' ? 'inline, in parallel' : 'in the shadow process'})`;
    const targets: Target[] = (['legacy', 'inline', 'process'] as const).flatMap((mode) => [
      { name: `${mode}-1`, label: label(mode), url: doors[mode].url + path, connections: 1 },
      { name: `${mode}-n`, label: label(mode), url: doors[mode].url + path },
    ]);
    const measured = await measureInterleaved(ctx, targets);
    const named = (name: string): ConfigurationResult => measured.find((c) => c.name === name)!;
    const [legacyOne, legacyLoaded, inlineOne, inlineLoaded, processOne, processLoaded] = ['legacy-1', 'legacy-n', 'inline-1', 'inline-n', 'process-1', 'process-n'].map(named);
    const rssMb = doors.process.shadowRssMb();
    // The servers write their evidence once a second: the last second's copies are in after one more.
    await new Promise((r) => setTimeout(r, EVIDENCE_FLUSH_MS + 200));
    const copies = (mode: Mode) => evidenceOf(doors[mode].stateDir, ROUTE);
    const inline = copies('inline');
    const child = copies('process');
    const n = ctx.options.connections;
    return {
      configurations: measured,
      checks: [
        ...latencyChecks('copy in the shadow process', processOne!, processLoaded!, legacyOne!, legacyLoaded!, n),
        throughputRatio(`throughput, shadow 100% (shadow process) / plain legacy, ${n} connections`, processLoaded!, legacyLoaded!, null),
        ...latencyChecks('copy inline, in parallel', inlineOne!, inlineLoaded!, legacyOne!, legacyLoaded!, n),
        throughputRatio(`throughput, shadow 100% (inline, in parallel) / plain legacy, ${n} connections`, inlineLoaded!, legacyLoaded!, null),
      ],
      facts: {
        path,
        frontDoor: door,
        legacy: 'gunicorn',
        shadowProcessRssMb: rssMb.join(' '),
        ...Object.fromEntries(Object.entries({ Process: child, Inline: inline }).flatMap(([how, c]) => Object.entries(c).map(([key, value]) => [`${key}${how}`, value]))),
      },
      notes: [
        `in the shadow process: ${child.sent} copies sent, ${child.dropped} dropped, ${child.failed} failed, ${child.compared} compared (${child.mismatches} mismatches); inline in parallel: ${inline.sent} sent, ${inline.dropped} dropped, ${inline.failed} failed, ${inline.compared} compared (${inline.mismatches} mismatches)`,
        `resident memory of each shadow process at the end of the run: ${rssMb.map((mb) => `${mb} MB`).join(', ')}`,
        'the TS server runs copies in its shadow process by default (STRANGLER_SHADOW_RUNNER=process); inline (STRANGLER_SHADOW_RUNNER=inline, STRANGLER_SHADOW_START=parallel) is kept for comparison',
      ],
    };
  },
};

/** A TS server on `routes` (copies run as `mode` says, evidence in a directory of its own) and a front door to it. */
async function stackFor(ctx: BenchContext, env: Record<string, string>, routes: string, mode: Mode): Promise<Listening & { stateDir: string; shadowRssMb: () => number[] }> {
  const stateDir = ctx.subdir(`state-${mode}`);
  const runner: Record<string, string> = mode === 'process' ? { STRANGLER_SHADOW_RUNNER: 'process' } : { STRANGLER_SHADOW_RUNNER: 'inline', STRANGLER_SHADOW_START: 'parallel' };
  const ts = await ctx.own(startTs({ ...env, ...TS_WORKERS_ENV, ROUTES: routes, TS_PORT: '0', STRANGLER_STATE_DIR: stateDir, ...runner }));
  const front = await ctx.own(startFrontDoor(ctx, { ...env, ROUTES: routes, TS_PORT: String(ts.port) }));
  // The shadow processes are the TS server's grandchildren (one per worker) running child-main.ts.
  const shadowRssMb = (): number[] => {
    const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,rss=,args='], { encoding: 'utf8' })
      .split('\n')
      .map((line) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line))
      .flatMap((m) => (m ? [{ pid: Number(m[1]), ppid: Number(m[2]), rssKb: Number(m[3]), args: m[4]! }] : []));
    const tree = new Set([ts.child.pid]);
    for (let grown = true; grown;) {
      grown = false;
      for (const row of rows)
        if (tree.has(row.ppid) && !tree.has(row.pid)) {
          tree.add(row.pid);
          grown = true;
        }
    }
    return rows.filter((row) => tree.has(row.pid) && row.args.includes('child-main.ts')).map((row) => Math.round(row.rssKb / 102.4) / 10);
  };
  return { ...front, stateDir, shadowRssMb };
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
function evidenceOf(stateDir: string, route: string): { sent: number; dropped: number; failed: number; compared: number; mismatches: number } {
  const store = openEvidence(join(stateDir, 'state.db'));
  try {
    const e = store.window(route, 0);
    return { sent: e.shadow.sent, dropped: e.shadow.droppedConcurrency, failed: e.shadow.failed, compared: e.comparisons.total, mismatches: e.comparisons.mismatches };
  } finally {
    store.close();
  }
}
