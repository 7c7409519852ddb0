/**
 * One measurement of the live benchmark: hold `size` idle connections on a server, read its resident
 * memory before and after (per connection), make one post and time it to every client, then close
 * them all and read the memory again once the server has let go of the sockets.
 *
 * @example
 * const held = await holdAndBroadcast({ server: ts, clients, target, size: 10_000, post, limits });
 * held.perConnectionKiB;  // 9.6
 * held.p99Ms;             // 181.4
 */
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { median, percentile } from '../stats.ts';
import { wallClockMs, type LiveClients, type LiveTarget } from './clients.ts';
import { cpuSeconds, openFiles, residentKiB, threadCount, untilFilesAtMost } from './proc.ts';
import type { LiveServer } from './servers.ts';

/** Connections opened and closed before the measurement, so first-use costs (JIT, lazy modules) are not counted per connection. */
const WARM_UP_CONNECTIONS = 10;
const SETTLE_MS = 1_500;
/** A pause between two posts, so one's fan-out is over before the next is sent. */
const BETWEEN_BROADCASTS_MS = 500;
/** How long the connections are held idle while the server's CPU is read (heartbeats, polling). */
const IDLE_MS = 3_000;

export interface HoldLimits {
  /** All connections must be open and subscribed within this. */
  readonly openMs: number;
  /** The post must reach every client within this. */
  readonly deliverMs: number;
  /** The server is stopped (and the size counted as failed) past this resident memory. */
  readonly memoryCapKiB: number;
  /** Holding idle connections may keep at most this many cores busy (average over the idle period); past it the size counts as failed. */
  readonly idleCpuCapCores: number;
}

export interface HoldOptions {
  readonly server: LiveServer;
  readonly clients: LiveClients;
  readonly target: LiveTarget;
  readonly size: number;
  /** Make one post; resolves once it was acknowledged (the write committed). */
  readonly post: () => Promise<void>;
  /** Posts made one after the other while the connections are held; each is timed to every client. */
  readonly broadcasts: number;
  readonly limits: HoldLimits;
  readonly log: (message: string) => void;
}

/** One post's way to every client: delays from sending it, in milliseconds. */
export interface Broadcast {
  readonly received: number;
  /** The first client's delay: the post's way to the server's feed, before the fan-out. */
  readonly firstMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** From sending the post to its acknowledgement (the writer's own round trip, commit included). */
  readonly ackMs: number;
}

export interface HoldResult {
  readonly size: number;
  /** The machine's 1-minute load average as the measurement started (the machine is shared). */
  readonly loadAtStart: number;
  /** Connections open and subscribed at the deadline. */
  readonly held: number;
  /** Why this size failed (fewer held than asked, the memory cap, connections lost, posts not received), or null. */
  readonly failure: string | null;
  readonly openSeconds: number;
  readonly rssBeforeKiB: number;
  readonly rssHeldKiB: number;
  readonly rssAfterCloseKiB: number;
  readonly perConnectionKiB: number;
  readonly openFilesHeld: number;
  readonly threadsHeld: number;
  /** CPU cores the server kept busy while the connections were idle (heartbeats, a poll per connection). */
  readonly idleCpuCores: number;
  /** The fewest clients any post reached. */
  readonly received: number;
  /** Connections the server closed while they were held or waiting for the post. */
  readonly lost: number;
  /** Medians over the posts of each figure of {@link Broadcast}. */
  readonly firstMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly ackMs: number;
  /** Every post, in order. */
  readonly broadcasts: readonly Broadcast[];
  readonly errors: readonly string[];
}

/** Hold, measure, broadcast, release. Never throws for a size the server could not hold: it says why in `failure`. */
export async function holdAndBroadcast(options: HoldOptions): Promise<HoldResult> {
  const { server, clients, target, size, post, limits, log } = options;
  const { pid } = server;
  const [loadAtStart] = loadavg() as [number];

  // Whatever an earlier, failed measurement left open goes first.
  await clients.closeAll();
  // Warm-up: the first connections and the first post pay for code paths run once.
  await clients.open(target, WARM_UP_CONNECTIONS, limits.openMs);
  await clients.arm();
  await post();
  await clients.receipts(WARM_UP_CONNECTIONS, limits.deliverMs);
  await clients.closeAll();
  await sleep(SETTLE_MS);
  const filesBefore = openFiles(pid);
  await untilFilesAtMost(pid, filesBefore, 5_000);
  const rssBeforeKiB = residentKiB(pid);

  // A server past the memory cap is stopped: its clients see their connections close and opening ends.
  let capped = false;
  const watchdog = setInterval(() => {
    if (residentKiB(pid) <= limits.memoryCapKiB) return;
    capped = true;
    clearInterval(watchdog);
    log(`  ${server.name} passed the ${Math.round(limits.memoryCapKiB / 1024)} MiB memory cap: stopping it`);
    process.kill(pid, 'SIGKILL');
  }, 250);
  const openStarted = performance.now();
  let opened;
  try {
    opened = await clients.open(target, size, limits.openMs);
  } finally {
    clearInterval(watchdog);
  }
  const openSeconds = (performance.now() - openStarted) / 1000;
  await sleep(SETTLE_MS);
  const cpuBefore = cpuSeconds(pid);
  const idleStarted = performance.now();
  await sleep(IDLE_MS);
  const idleCpuCores = (cpuSeconds(pid) - cpuBefore) / ((performance.now() - idleStarted) / 1000);
  const rssHeldKiB = residentKiB(pid);
  const openFilesHeld = openFiles(pid);
  const threadsHeld = threadCount(pid);
  log(
    `  held ${opened.ready} of ${size} in ${openSeconds.toFixed(1)} s; resident ${Math.round(rssBeforeKiB / 1024)} → ${Math.round(rssHeldKiB / 1024)} MiB; ${openFilesHeld} open files, ${threadsHeld} threads; ${idleCpuCores.toFixed(2)} cores busy while idle`,
  );
  const saturated = idleCpuCores > limits.idleCpuCapCores;

  let lost = opened.lost;
  let errors = opened.errors;
  const broadcasts: Broadcast[] = [];
  for (let i = 0; i < options.broadcasts && !capped && !saturated && opened.ready > 0; i++) {
    if (i > 0) await sleep(BETWEEN_BROADCASTS_MS);
    await clients.arm();
    const sentAt = wallClockMs();
    await post();
    const ackMs = wallClockMs() - sentAt;
    const receipts = await clients.receipts(opened.ready, limits.deliverMs);
    lost = receipts.lost;
    errors = [...new Set([...errors, ...receipts.errors])];
    const latencies = receipts.times.map((t) => t - sentAt).sort((a, b) => a - b);
    const one: Broadcast = {
      received: receipts.received,
      firstMs: latencies[0] ?? NaN,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1) ?? NaN,
      ackMs,
    };
    broadcasts.push(one);
    log(
      `  post ${i + 1} reached ${one.received} of ${opened.ready} (${lost} closed by the server): first ${one.firstMs.toFixed(1)} ms, p50 ${one.p50Ms.toFixed(1)} ms, p99 ${one.p99Ms.toFixed(1)} ms (acknowledged after ${ackMs.toFixed(1)} ms)`,
    );
    if (one.received < opened.ready) break;
  }
  const received = broadcasts.length ? Math.min(...broadcasts.map((b) => b.received)) : 0;
  const medianOf = (pick: (b: Broadcast) => number): number => (broadcasts.length ? median(broadcasts.map(pick)) : NaN);

  await clients.closeAll();
  await untilFilesAtMost(pid, filesBefore, 15_000);
  await sleep(SETTLE_MS);
  const rssAfterCloseKiB = residentKiB(pid);

  const reasons = [
    capped ? `passed the memory cap of ${Math.round(limits.memoryCapKiB / 1024)} MiB while opening` : null,
    opened.ready < size ? `held ${opened.ready} of ${size} connections within ${limits.openMs / 1000} s${opened.errors.length ? ` (${opened.errors.join('; ')})` : ''}` : null,
    saturated ? `holding the idle connections kept ${idleCpuCores.toFixed(2)} cores busy (cap ${limits.idleCpuCapCores}), so no post was sent` : null,
    !capped && !saturated && received < opened.ready
      ? `the post reached ${received} of ${opened.ready} clients within ${limits.deliverMs / 1000} s${lost ? `; the server closed ${lost} streams` : ''}`
      : null,
  ].filter((reason) => reason !== null);
  const failure = reasons.length ? reasons.join('; ') : null;
  if (failure !== null) log(`  ${server.name} failed: ${failure}; its last lines:\n${server.output.slice(-5).join('\n')}`);
  return {
    size,
    loadAtStart,
    held: opened.ready,
    failure,
    openSeconds,
    rssBeforeKiB,
    rssHeldKiB,
    rssAfterCloseKiB,
    perConnectionKiB: opened.ready > 0 ? (rssHeldKiB - rssBeforeKiB) / opened.ready : NaN,
    openFilesHeld,
    threadsHeld,
    idleCpuCores,
    received,
    lost,
    firstMs: medianOf((b) => b.firstMs),
    p50Ms: medianOf((b) => b.p50Ms),
    p99Ms: medianOf((b) => b.p99Ms),
    maxMs: medianOf((b) => b.maxMs),
    ackMs: medianOf((b) => b.ackMs),
    broadcasts,
    errors,
  };
}
