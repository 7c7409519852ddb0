/**
 * Reading evidence back: sums over whole minutes across every process that wrote them.
 *
 * @example
 * const reader = createReader(db, Date.now);
 * reader.window('/api/v1/threads', Date.now() - 3_600_000).comparisons.upperBound;
 */
import type Database from 'better-sqlite3';
import { percentileMs } from './histogram.ts';
import { MINUTE_MS, counterName, minuteOf } from './schema.ts';
import type { MismatchClass, RouteEvidence, SideStats, StoredSample } from './types.ts';
import { wilsonInterval } from './wilson.ts';

export interface EvidenceReader {
  window(route: string, sinceMs: number, untilMs?: number): RouteEvidence;
  classes(route: string, sinceMs?: number): MismatchClass[];
  routes(): string[];
}

type ClassRow = { class_key: string; kind: MismatchClass['kind']; path: string; legacy: string; ts: string; first_seen: number; last_seen: number; count: number };

export function createReader(db: Database.Database, now: () => number): EvidenceReader {
  const statements = {
    counts: db.prepare('SELECT name, sum(n) AS n FROM evidence_counts WHERE route = ? AND minute BETWEEN ? AND ? GROUP BY name'),
    latency: db.prepare('SELECT series, bucket, sum(n) AS n FROM evidence_latency WHERE route = ? AND minute BETWEEN ? AND ? GROUP BY series, bucket'),
    comparisons: db.prepare('SELECT outcome, sum(n) AS n FROM evidence_comparisons WHERE route = ? AND minute BETWEEN ? AND ? GROUP BY outcome'),
    noise: db.prepare('SELECT stable, class_key, sum(n) AS n FROM evidence_noise WHERE route = ? AND minute BETWEEN ? AND ? GROUP BY stable, class_key ORDER BY n DESC, class_key'),
    classes: db.prepare(
      `SELECT c.class_key, c.kind, c.path, c.legacy, c.ts, c.first_seen, c.last_seen, sum(cc.n) AS count
       FROM evidence_classes c JOIN evidence_class_counts cc ON cc.route = c.route AND cc.class_key = c.class_key
       WHERE c.route = ? AND cc.minute >= ? GROUP BY c.class_key ORDER BY count DESC, c.class_key`,
    ),
    samples: db.prepare('SELECT sample FROM evidence_samples WHERE route = ? AND class_key = ? ORDER BY at, id').pluck(),
    routes: db.prepare('SELECT route FROM evidence_counts UNION SELECT route FROM evidence_comparisons UNION SELECT route FROM evidence_classes ORDER BY route').pluck(),
  };

  return {
    window(route, sinceMs, untilMs = now()) {
      const from = minuteOf(sinceMs);
      const to = minuteOf(untilMs);
      const counts = new Map<string, number>();
      for (const row of statements.counts.all(route, from, to) as { name: string; n: number }[]) counts.set(row.name, row.n);
      const get = (name: string) => counts.get(name) ?? 0;
      const histograms = { legacy: new Map<number, number>(), ts: new Map<number, number>(), shadow: new Map<number, number>() };
      for (const row of statements.latency.all(route, from, to) as { series: keyof typeof histograms; bucket: number; n: number }[]) histograms[row.series]?.set(row.bucket, row.n);
      const outcomes = new Map<string, number>();
      for (const row of statements.comparisons.all(route, from, to) as { outcome: string; n: number }[]) outcomes.set(row.outcome, row.n);
      const matches = outcomes.get('match') ?? 0;
      const mismatches = outcomes.get('mismatch') ?? 0;
      const noise = outcomes.get('noise') ?? 0;
      const total = matches + mismatches + noise;
      const { lower, upper } = wilsonInterval(mismatches, total);
      const side = (name: 'legacy' | 'ts'): SideStats => {
        const requests = get(counterName.requests(name));
        const errors = get(counterName.errors(name));
        return { requests, errors, errorRate: requests === 0 ? 0 : errors / requests, p50Ms: percentileMs(histograms[name], 0.5), p99Ms: percentileMs(histograms[name], 0.99) };
      };
      const byDoor: Record<string, number> = {};
      const byReason: Record<string, number> = {};
      let fallbacks = 0;
      for (const [name, n] of counts) {
        if (!name.startsWith('fallback:')) continue;
        const [, door = '', ...reason] = name.split(':');
        byDoor[door] = (byDoor[door] ?? 0) + n;
        byReason[`${door} ${reason.join(':')}`] = n;
        fallbacks += n;
      }
      const noisyPaths: { classKey: string; count: number }[] = [];
      const stablePaths: { classKey: string; count: number }[] = [];
      for (const row of statements.noise.all(route, from, to) as { stable: number; class_key: string; n: number }[]) {
        (row.stable === 1 ? stablePaths : noisyPaths).push({ classKey: row.class_key, count: row.n });
      }
      return {
        route,
        since: from * MINUTE_MS,
        until: (to + 1) * MINUTE_MS,
        comparisons: { total, matches, mismatches, noise, mismatchRate: total === 0 ? 0 : mismatches / total, lowerBound: lower, upperBound: upper },
        shadow: {
          sent: get(counterName.shadow('sent')),
          droppedConcurrency: get(counterName.shadow('dropped-concurrency')),
          skippedSample: get(counterName.shadow('skipped-sample')),
          skippedMethod: get(counterName.shadow('skipped-method')),
          tooLarge: get(counterName.shadow('too-large')),
          failed: get(counterName.shadow('failed')),
          p50Ms: percentileMs(histograms.shadow, 0.5),
          p99Ms: percentileMs(histograms.shadow, 0.99),
        },
        sides: { legacy: side('legacy'), ts: side('ts') },
        fallbacks: { total: fallbacks, byDoor, byReason },
        noise: { checks: get(counterName.noiseChecks), noisyPaths, stablePaths },
      };
    },

    classes(route, sinceMs = 0) {
      return (statements.classes.all(route, minuteOf(sinceMs)) as ClassRow[]).map((row) => ({
        route,
        classKey: row.class_key,
        kind: row.kind,
        path: row.path,
        legacy: row.legacy,
        ts: row.ts,
        count: row.count,
        firstSeen: row.first_seen,
        lastSeen: row.last_seen,
        samples: (statements.samples.all(route, row.class_key) as string[]).map((text) => JSON.parse(text) as StoredSample),
      }));
    },

    routes: () => statements.routes.all() as string[],
  };
}
