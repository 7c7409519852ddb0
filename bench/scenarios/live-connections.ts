/**
 * Live connections: idle SSE and WebSocket connections held directly on one TS server process (1,000,
 * 5,000 and 10,000 in the full mode), its resident memory per connection, and the time for one post to
 * reach every client; legacy's feed (a thread per connection, each polling the database) beside it, up
 * to the first size it does not survive. Directly, not through a front door: the figures are the TS
 * server's own (nginx would add its own memory and two file descriptors per connection, and its
 * generated config's worker_connections would cap the count before the server did).
 *
 * Beside each TS figure, the stand-in (bench/fixtures/live-standin.ts: node:http writing to the
 * response, and `ws`, nothing else) holds the same connections with the same clients: the floor of
 * this machine and this harness, clients' own reading included. Where the TS server does not serve a
 * feed itself yet (routes.yaml sends it elsewhere, or nothing answers as a feed), only the stand-in is
 * measured, without goals.
 */
import { loadavg } from 'node:os';
import { atMost, check, noneSeen } from '../lib/checks.ts';
import type { LiveTarget } from '../lib/live/clients.ts';
import { holdAndBroadcast, type Broadcast, type HoldLimits, type HoldResult } from '../lib/live/hold.ts';
import { spread } from '../lib/stats.ts';
import type { LiveKind } from '../lib/live/protocol.ts';
import { raisedFdLimit } from '../lib/live/proc.ts';
import { SSE_PATH, startLiveLegacy, startStandIn, WS_PATH, WS_TOPIC, type LiveServer } from '../lib/live/servers.ts';
import { FD_HEADROOM, liveMethod, liveSetup, withServer } from '../lib/live/setup.ts';
import { writeLiveSection } from '../lib/live/results.ts';
import type { Check, Scenario } from '../lib/types.ts';

const GOAL_KIB_PER_CONNECTION = 12;
const GOAL_P99_MS = 250;
const GOAL_AT = 10_000;
const MIB = 1024;
const TS_LIMITS = (size: number): HoldLimits => ({ openMs: 30_000 + size * 10, deliverMs: 30_000, memoryCapKiB: 4096 * MIB, idleCpuCapCores: 1.5 });
/**
 * Legacy stops at the first size past any of these, so a thread per connection cannot take the shared
 * machine down: 2 GiB, a minute to open, or a whole core (all the GIL lets it use) busy polling for
 * idle clients, at which point it is as saturated as it can get.
 */
const LEGACY_LIMITS: HoldLimits = { openMs: 60_000, deliverMs: 30_000, memoryCapKiB: 2048 * MIB, idleCpuCapCores: 0.9 };
const KIND_NAMES: Record<LiveKind, string> = { sse: 'SSE', ws: 'WebSocket' };

interface Row extends HoldResult {
  readonly kind: LiveKind;
  /** `TS`, `stand-in` or `legacy`. */
  readonly server: string;
}

const n = (value: number): string => value.toLocaleString('en-US');
const target = (kind: LiveKind, url: string, thread: number): LiveTarget => ({ kind, url, path: kind === 'sse' ? SSE_PATH(thread) : WS_PATH, topic: WS_TOPIC(thread) });

export const liveConnections: Scenario = {
  name: 'live-connections',
  title: 'Live connections (SSE and WebSocket)',
  measuredAs:
    'idle connections held directly on one TS server process: resident memory per connection (VmRSS before and after), and the time from sending one post to its receipt by every client (p50/p99); legacy’s thread-per-connection feed at each size up to the first it does not survive',
  goal: `≤ ${GOAL_KIB_PER_CONNECTION} KiB per connection; p99 < ${GOAL_P99_MS} ms at ${n(GOAL_AT)}`,
  async run(ctx) {
    const loadBefore = loadavg();
    const setup = await liveSetup(ctx);
    const { thread, clients } = setup;
    const notes: string[] = [];
    const maxConnections = raisedFdLimit(setup.fdLimit) - FD_HEADROOM;
    const sizes = ctx.options.liveSizes.map((size) => Math.min(size, maxConnections));
    if (sizes.some((size, i) => size !== ctx.options.liveSizes[i]))
      notes.push(`sizes above ${n(maxConnections)} were reduced to it: a server holds one file descriptor per connection, and the hard limit is ${n(setup.fdLimit.hard)}`);
    const { served } = setup;
    const rows: Row[] = [];

    for (const kind of ['sse', 'ws'] as const) {
      if (!served[kind]) notes.push(`${KIND_NAMES[kind]}: the TS server does not serve ${kind === 'sse' ? SSE_PATH(thread) : WS_PATH} itself yet; only the stand-in was measured`);
      for (const size of sizes) {
        const measure = (server: LiveServer, post: () => Promise<void>) =>
          holdAndBroadcast({ server, clients, target: target(kind, server.url, thread), size, post, broadcasts: ctx.options.rounds, limits: TS_LIMITS(size), log: ctx.log });
        if (served[kind]) {
          ctx.log(`${KIND_NAMES[kind]}, ${n(size)} connections on the TS server`);
          rows.push({ ...(await setup.withTs((ts) => measure(ts, setup.postOnLegacy))), kind, server: 'TS' });
        }
        ctx.log(`${KIND_NAMES[kind]}, ${n(size)} connections on the stand-in`);
        const floor = await withServer(
          () => startStandIn(ctx.env()),
          (standIn) => measure(standIn, () => postToStandIn(standIn.url, thread)),
        );
        rows.push({ ...floor, kind, server: 'stand-in' });
      }
    }

    if (!ctx.options.liveLegacy) notes.push('legacy’s feed was not measured (BENCH_LIVE_LEGACY=0)');
    for (const size of ctx.options.liveLegacy ? sizes : []) {
      // Each thread polls once a second, so its idle CPU grows with the count: a size that would pass the
      // cap by that measure is not tried (opening it would spike the shared machine for a minute first).
      const previous = rows.at(-1)?.server === 'legacy' ? rows.at(-1)! : null;
      const expectedCores = previous ? (previous.idleCpuCores * size) / previous.size : 0;
      if (previous && expectedCores > LEGACY_LIMITS.idleCpuCapCores) {
        notes.push(
          `legacy's feed was not tried at ${n(size)}: at ${n(previous.size)} it kept ${previous.idleCpuCores.toFixed(2)} cores busy polling for idle clients, so ${n(size)} would keep about ${expectedCores.toFixed(2)} busy (cap ${LEGACY_LIMITS.idleCpuCapCores})`,
        );
        break;
      }
      ctx.log(`SSE, ${n(size)} connections on legacy's feed (a thread each)`);
      const row = await setup.withTs(() =>
        withServer(
          () => startLiveLegacy(setup.legacyEnv),
          (legacy) =>
            holdAndBroadcast({
              server: legacy,
              clients,
              target: target('sse', legacy.url, thread),
              size,
              post: setup.postOnLegacy,
              broadcasts: ctx.options.rounds,
              limits: LEGACY_LIMITS,
              log: ctx.log,
            }),
        ),
      );
      rows.push({ ...row, kind: 'sse', server: 'legacy' });
      if (row.failure !== null) {
        notes.push(`legacy's feed stopped at ${n(size)} connections: ${row.failure}; larger sizes were not tried`);
        break;
      }
    }

    const largestLegacy = Math.max(0, ...rows.filter((r) => r.server === 'legacy' && r.failure === null).map((r) => r.size));
    notes.push(
      `latency is from sending the post to each client's receipt (the writer's round trip, commit included, is inside it); legacy's feed polls the database once a second, so its figures include up to a second of waiting`,
    );
    const method = [
      ...liveMethod(setup, loadBefore),
      `each size on a fresh server process (TS: TS_WORKERS=1; legacy: its threaded server), after a warm-up of 10 connections and one post; then ${ctx.options.rounds} post(s), 0.5 s apart, each timed to every client: the table shows the median over the posts of each delay, the checks the median with its min–max`,
    ];
    const files = writeLiveSection(ctx.options.out, 'live-connections', {
      title: 'Idle connections held, memory per connection, one broadcast',
      date: new Date().toISOString(),
      method,
      markdown: [tableOf(rows), '', ...notes.map((note) => `- ${note}`)].join('\n'),
      data: { fdLimit: setup.fdLimit, served, rows },
    });
    ctx.log(`wrote ${files.join(', ')}`);
    return {
      configurations: [],
      checks: rows.flatMap(checksOf),
      facts: {
        fdSoftLimit: setup.fdLimit.soft,
        fdHardLimit: setup.fdLimit.hard,
        legacyLargestSizeHeld: largestLegacy,
        tsServesSse: String(served.sse),
        tsServesWebSocket: String(served.ws),
      },
      notes,
    };
  },
};

function checksOf(row: Row): Check[] {
  const name = `${KIND_NAMES[row.kind]}, ${n(row.size)} on ${row.server}`;
  const isTs = row.server === 'TS';
  const over = (pick: (b: Broadcast) => number) => spread(row.broadcasts.map(pick));
  const memory = { median: row.perConnectionKiB, min: row.perConnectionKiB, max: row.perConnectionKiB };
  return [
    check(`${name}: resident memory per connection`, memory, 'KiB', isTs ? atMost(GOAL_KIB_PER_CONNECTION, 'KiB') : null),
    // A size that failed before its post (legacy past its limits) has no delays to report.
    ...(row.broadcasts.length
      ? [
          check(
            `${name}: post to every client, p50`,
            over((b) => b.p50Ms),
            'ms',
            null,
          ),
          check(
            `${name}: post to every client, p99`,
            over((b) => b.p99Ms),
            'ms',
            isTs && row.size >= GOAL_AT ? atMost(GOAL_P99_MS, 'ms') : null,
          ),
        ]
      : []),
    noneSeen(`${name}: connections not held or post not received`, row.size - Math.min(row.held, row.received)),
  ];
}

function tableOf(rows: readonly Row[]): string {
  const mib = (kib: number) => (kib / MIB).toFixed(1);
  const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '—');
  const header = [
    'feed',
    'server',
    'load 1 min',
    'asked',
    'held',
    'open s',
    'RSS before MiB',
    'RSS held MiB',
    'KiB / connection',
    'open files',
    'threads',
    'idle CPU cores',
    'received',
    'closed by server',
    'first ms',
    'p50 ms',
    'p99 ms',
    'max ms',
    'post ack ms',
    'RSS after close MiB',
    'outcome',
  ];
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map((name, i) => (i < 2 || name === 'outcome' ? '---' : '---:')).join(' | ')} |`,
    ...rows
      .map((r) =>
        [
          KIND_NAMES[r.kind],
          r.server,
          r.loadAtStart.toFixed(1),
          n(r.size),
          n(r.held),
          r.openSeconds.toFixed(1),
          mib(r.rssBeforeKiB),
          mib(r.rssHeldKiB),
          Number.isFinite(r.perConnectionKiB) ? r.perConnectionKiB.toFixed(1) : '—',
          n(r.openFilesHeld),
          n(r.threadsHeld),
          r.idleCpuCores.toFixed(2),
          n(r.received),
          n(r.lost),
          ms(r.firstMs),
          ms(r.p50Ms),
          ms(r.p99Ms),
          ms(r.maxMs),
          ms(r.ackMs),
          mib(r.rssAfterCloseKiB),
          r.failure ?? 'ok',
        ].join(' | '),
      )
      .map((line) => `| ${line} |`),
  ].join('\n');
}

async function postToStandIn(url: string, thread: number): Promise<void> {
  const res = await fetch(`${url}/_bench/post?thread=${thread}`, { method: 'POST' });
  if (res.status !== 201) throw new Error(`the stand-in answered ${res.status} to a post: ${await res.text()}`);
  await res.arrayBuffer();
}
