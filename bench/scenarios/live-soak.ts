/**
 * Live soak: connect and disconnect many clients, round after round (20 rounds of 1,000 in the full
 * mode, half SSE and half WebSocket where the server serves both), and read the server's resident
 * memory after each round once it has closed every socket and run a full GC (the server runs with
 * --expose-gc and bench/lib/live/gc-on-signal.mjs). A server that keeps something per connection ever
 * served grows round after round; one that lets go returns to the level of its first round.
 */
import { loadavg } from 'node:os';
import { atMost, check, noneSeen } from '../lib/checks.ts';
import { openFiles, residentKiB, untilFilesAtMost } from '../lib/live/proc.ts';
import type { LiveKind } from '../lib/live/protocol.ts';
import { writeLiveSection } from '../lib/live/results.ts';
import { collectGarbage, GC_FLAGS, SSE_PATH, startStandIn, WS_PATH, WS_TOPIC, type LiveServer } from '../lib/live/servers.ts';
import { liveMethod, liveSetup, withServer, type LiveSetup } from '../lib/live/setup.ts';
import type { BenchContext } from '../lib/context.ts';
import type { Scenario } from '../lib/types.ts';

/**
 * Heap still in use after a GC, per connection served after the first round: the first round loads what
 * is loaded once; an object kept per connection (a closure, a set entry) would be hundreds of bytes.
 */
const GOAL_KEPT_BYTES_PER_CONNECTION = 100;
const OPEN_MS = 60_000;
const RELEASE_MS = 15_000;

interface SoakRound {
  readonly round: number;
  readonly held: number;
  readonly lost: number;
  readonly openFilesAfterClose: number;
  readonly rssAfterGcKiB: number;
  readonly heapUsedAfterGcKiB: number;
}

interface Soak {
  readonly server: string;
  readonly kinds: readonly LiveKind[];
  readonly baselineKiB: number;
  readonly baselineHeapKiB: number;
  readonly baselineFiles: number;
  readonly rounds: readonly SoakRound[];
}

export const liveSoak: Scenario = {
  name: 'live-soak',
  title: 'Live soak (connect and disconnect)',
  measuredAs:
    'rounds of opening and closing idle live connections on one TS server process; its resident memory after each round, once every socket is closed and after a full GC, against the level after the first round',
  goal: `memory returns to its level: ≤ ${GOAL_KEPT_BYTES_PER_CONNECTION} bytes of heap kept per connection after the first round; resident memory flat`,
  async run(ctx) {
    const loadBefore = loadavg();
    const setup = await liveSetup(ctx);
    const kinds = (['sse', 'ws'] as const).filter((kind) => setup.served[kind]);
    const soak = kinds.length
      ? await setup.withTs((ts) => soakOn(ctx, setup, ts, 'TS', kinds), GC_FLAGS)
      : await withServer(
          () => startStandIn(ctx.env(), GC_FLAGS),
          (standIn) => soakOn(ctx, setup, standIn, 'stand-in', ['sse', 'ws']),
        );

    const mib = (kib: number) => kib / 1024;
    const first = soak.rounds[0]!;
    const last = soak.rounds.at(-1)!;
    const notes = [
      ...(soak.server === 'stand-in' ? ['the TS server serves no live feed itself yet, so the stand-in (bench/fixtures/live-standin.ts) was soaked in its place'] : []),
      `${soak.rounds.length} rounds of ${ctx.options.liveSoak.connections} connections (${soak.kinds.join(' and ')}); resident memory ${mib(soak.baselineKiB).toFixed(1)} MiB before the first round, ${mib(first.rssAfterGcKiB).toFixed(1)} MiB after it, ${mib(last.rssAfterGcKiB).toFixed(1)} MiB after the last`,
    ];
    const files = writeLiveSection(ctx.options.out, 'live-soak', {
      title: 'Soak: connect and disconnect, memory after each round',
      date: new Date().toISOString(),
      method: [
        ...liveMethod(setup, loadBefore),
        `server: ${soak.server}, one process, node --expose-gc; after each round every client closes, the soak waits until the server's open files are back to ${soak.baselineFiles} (its level before the first round), runs a full GC in it (SIGUSR2, bench/lib/live/gc-on-signal.mjs) and reads VmRSS`,
      ],
      markdown: [tableOf(soak), '', ...notes.map((note) => `- ${note}`)].join('\n'),
      data: soak,
    });
    ctx.log(`wrote ${files.join(', ')}`);
    const one = (value: number) => ({ median: value, min: value, max: value });
    const secondHalf = soak.rounds.slice(Math.floor(soak.rounds.length / 2));
    const slope = secondHalf.length > 1 ? (secondHalf.at(-1)!.rssAfterGcKiB - secondHalf[0]!.rssAfterGcKiB) / (secondHalf.length - 1) : 0;
    return {
      configurations: [],
      checks: [
        check(
          `${soak.server}: V8 heap kept per connection served after the first round (bytes, after GC)`,
          one(soak.rounds.length > 1 ? ((last.heapUsedAfterGcKiB - first.heapUsedAfterGcKiB) * 1024) / ((soak.rounds.length - 1) * ctx.options.liveSoak.connections) : 0),
          '',
          atMost(GOAL_KEPT_BYTES_PER_CONNECTION, ''),
        ),
        check(`${soak.server}: resident memory after the last round − after the first (after GC)`, one(mib(last.rssAfterGcKiB - first.rssAfterGcKiB)), 'MiB', null),
        check(`${soak.server}: resident memory after the last round − before the first`, one(mib(last.rssAfterGcKiB - soak.baselineKiB)), 'MiB', null),
        check(`${soak.server}: growth per round over the second half`, one(slope), 'KiB', null),
        check(`${soak.server}: V8 heap used after the last round − before the first (after GC)`, one(mib(last.heapUsedAfterGcKiB - soak.baselineHeapKiB)), 'MiB', null),
        noneSeen(
          `${soak.server}: connections not held, or lost while held`,
          soak.rounds.reduce((sum, r) => sum + (ctx.options.liveSoak.connections - r.held) + r.lost, 0),
        ),
        noneSeen(`${soak.server}: sockets still open after a round's clients closed`, Math.max(0, ...soak.rounds.map((r) => r.openFilesAfterClose - soak.baselineFiles))),
      ],
      facts: { rounds: soak.rounds.length, connectionsPerRound: ctx.options.liveSoak.connections, baselineMiB: mib(soak.baselineKiB) },
      notes,
    };
  },
};

async function soakOn(ctx: BenchContext, setup: LiveSetup, server: LiveServer, name: string, kinds: readonly LiveKind[]): Promise<Soak> {
  const { clients, thread } = setup;
  const { rounds, connections } = ctx.options.liveSoak;
  const openRound = async (count: number) => {
    // The clients' counts cover every connection they hold, so the last open's counts are the round's.
    let counts = { ready: 0, lost: 0 };
    for (const [i, kind] of kinds.entries()) {
      const share = Math.floor(count / kinds.length) + (i < count % kinds.length ? 1 : 0);
      counts = await clients.open({ kind, url: server.url, path: kind === 'sse' ? SSE_PATH(thread) : WS_PATH, topic: WS_TOPIC(thread) }, share, OPEN_MS);
    }
    await clients.closeAll();
    return { held: counts.ready, lost: counts.lost };
  };
  // A first small round loads what the first connections use once; the baseline is taken after it.
  await clients.closeAll(); // whatever an earlier scenario left open
  const filesBefore = openFiles(server.pid);
  await openRound(10);
  const baselineFiles = await untilFilesAtMost(server.pid, filesBefore, RELEASE_MS);
  const { heapUsedKiB: baselineHeapKiB } = await collectGarbage(server);
  const baselineKiB = residentKiB(server.pid);
  const done: SoakRound[] = [];
  for (let round = 1; round <= rounds; round++) {
    const { held, lost } = await openRound(connections);
    const openFilesAfterClose = await untilFilesAtMost(server.pid, baselineFiles, RELEASE_MS);
    const { heapUsedKiB: heapUsedAfterGcKiB } = await collectGarbage(server);
    const rssAfterGcKiB = residentKiB(server.pid);
    done.push({ round, held, lost, openFilesAfterClose, rssAfterGcKiB, heapUsedAfterGcKiB });
    ctx.log(
      `  round ${round}/${rounds}: held ${held}, ${openFilesAfterClose} open files after closing, after GC ${(rssAfterGcKiB / 1024).toFixed(1)} MiB resident, ${(heapUsedAfterGcKiB / 1024).toFixed(1)} MiB heap`,
    );
  }
  return { server: name, kinds, baselineKiB, baselineHeapKiB, baselineFiles, rounds: done };
}

function tableOf(soak: Soak): string {
  const mib = (kib: number) => (kib / 1024).toFixed(1);
  return [
    '| round | held | lost | open files after close | RSS after GC MiB | RSS vs before the first round MiB | V8 heap used after GC MiB | heap vs before MiB |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| before | — | — | ${soak.baselineFiles} | ${mib(soak.baselineKiB)} | 0 | ${mib(soak.baselineHeapKiB)} | 0 |`,
    ...soak.rounds.map(
      (r) =>
        `| ${r.round} | ${r.held} | ${r.lost} | ${r.openFilesAfterClose} | ${mib(r.rssAfterGcKiB)} | ${mib(r.rssAfterGcKiB - soak.baselineKiB)} | ${mib(r.heapUsedAfterGcKiB)} | ${mib(r.heapUsedAfterGcKiB - soak.baselineHeapKiB)} |`,
    ),
  ].join('\n');
}
