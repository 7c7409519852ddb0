/**
 * A process's evidence recorder: every call adds to sums in memory (nothing touches the disk per
 * request); flush() writes them in one immediate transaction, adding to what other processes wrote.
 * A flush that fails (the file locked past the busy timeout, the disk full) keeps the sums for the next.
 *
 * @example
 * const recorder = createRecorder(db, { now: Date.now, retentionDays: 7, maxClassesPerRoute: 200, samplesPerClass: 3, flushIntervalMs: 1000, warn });
 * recorder.request('/api/v1/threads', 'ts', 200, 4.2, false);
 * recorder.close(); // flushes
 */
import type Database from 'better-sqlite3';
import { addToHistogram } from './histogram.ts';
import { unredactedHeaders, toStoredSample } from './sample.ts';
import { MINUTE_TABLES, counterName, minuteOf, type LatencySeries } from './schema.ts';
import { OTHER_CLASS, type Difference, type EvidenceRecorder, type StoredSample } from './types.ts';

export interface RecorderSettings {
  readonly now: () => number;
  readonly retentionDays: number;
  readonly maxClassesPerRoute: number;
  readonly samplesPerClass: number;
  readonly flushIntervalMs: number;
  readonly warn: (message: string) => void;
}

const PRUNE_EVERY_MS = 3_600_000;
/** Stable paths kept per noise check: enough to judge a suggested ignore rule, bounded for a huge body. */
export const MAX_STABLE_PATHS_PER_CHECK = 500;
const SEP = '\u0000';

interface PendingClass {
  readonly route: string;
  readonly classKey: string;
  readonly first: Difference;
  firstSeen: number;
  lastSeen: number;
  readonly perMinute: Map<number, number>;
  readonly samples: StoredSample[];
}

/** The sums not yet written. */
class Pending {
  readonly counts = new Map<string, number>();
  readonly latency = new Map<string, Map<number, number>>();
  readonly comparisons = new Map<string, number>();
  readonly classes = new Map<string, PendingClass>();
  readonly noise = new Map<string, number>();

  get isEmpty(): boolean {
    return this.counts.size + this.latency.size + this.comparisons.size + this.classes.size + this.noise.size === 0;
  }
}

/** A class's renderings are meant short; a caller that passes a whole body still stores a bounded row. */
const MAX_RENDERING_CHARS = 1024;
const clip = (text: string): string => (text.length > MAX_RENDERING_CHARS ? `${text.slice(0, MAX_RENDERING_CHARS)}…` : text);

const add = (map: Map<string, number>, key: string, n = 1) => map.set(key, (map.get(key) ?? 0) + n);

export function createRecorder(db: Database.Database, settings: RecorderSettings): EvidenceRecorder {
  const { now, warn } = settings;
  let pending = new Pending();
  let lastPruneMs = -Infinity;
  let closed = false;
  const warned = new Set<string>();

  const statements = {
    count: db.prepare('INSERT INTO evidence_counts (route, minute, name, n) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n'),
    latency: db.prepare('INSERT INTO evidence_latency (route, minute, series, bucket, n) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n'),
    comparison: db.prepare('INSERT INTO evidence_comparisons (route, minute, revision, outcome, n) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n'),
    classExists: db.prepare('SELECT 1 FROM evidence_classes WHERE route = ? AND class_key = ?').pluck(),
    classesOfRoute: db.prepare('SELECT count(*) FROM evidence_classes WHERE route = ?').pluck(),
    classUpsert: db.prepare(
      `INSERT INTO evidence_classes (route, class_key, kind, path, legacy, ts, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`,
    ),
    classMinute: db.prepare('INSERT INTO evidence_class_counts (route, minute, class_key, n) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n'),
    sampleCount: db.prepare('SELECT count(*) FROM evidence_samples WHERE route = ? AND class_key = ?').pluck(),
    sampleInsert: db.prepare('INSERT INTO evidence_samples (route, class_key, at, revision, sample) VALUES (?, ?, ?, ?, ?)'),
    noise: db.prepare('INSERT INTO evidence_noise (route, minute, stable, class_key, n) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n'),
    pruneMinutes: MINUTE_TABLES.map((table) => db.prepare(`DELETE FROM ${table} WHERE minute < ?`)),
    pruneClasses: db.prepare('DELETE FROM evidence_classes WHERE last_seen < ?'),
    pruneSamples: db.prepare(
      'DELETE FROM evidence_samples WHERE at < ? OR NOT EXISTS (SELECT 1 FROM evidence_classes c WHERE c.route = evidence_samples.route AND c.class_key = evidence_samples.class_key)',
    ),
  };

  const count = (route: string, name: string, n = 1) => add(pending.counts, [route, minuteOf(now()), name].join(SEP), n);
  const latency = (route: string, series: LatencySeries, ms: number) => {
    const key = [route, minuteOf(now()), series].join(SEP);
    let counts = pending.latency.get(key);
    if (counts === undefined) pending.latency.set(key, (counts = new Map()));
    addToHistogram(counts, ms);
  };

  const write = db.transaction((batch: Pending, at: number) => {
    for (const [key, n] of batch.counts) {
      const [route, minute, name] = key.split(SEP);
      statements.count.run(route, Number(minute), name, n);
    }
    for (const [key, counts] of batch.latency) {
      const [route, minute, series] = key.split(SEP);
      for (const [bucket, n] of counts) statements.latency.run(route, Number(minute), series, bucket, n);
    }
    for (const [key, n] of batch.comparisons) {
      const [route, minute, revision, outcome] = key.split(SEP);
      statements.comparison.run(route, Number(minute), revision, outcome, n);
    }
    writeClasses(batch);
    for (const [key, n] of batch.noise) {
      const [route, minute, stable, classKey] = key.split(SEP);
      statements.noise.run(route, Number(minute), Number(stable), classKey, n);
    }
    if (at - lastPruneMs >= PRUNE_EVERY_MS) {
      const cutoffMs = at - settings.retentionDays * 86_400_000;
      for (const prune of statements.pruneMinutes) prune.run(minuteOf(cutoffMs));
      statements.pruneClasses.run(cutoffMs);
      statements.pruneSamples.run(cutoffMs);
    }
  });

  function writeClasses(batch: Pending) {
    const classesPerRoute = new Map<string, number>();
    for (const pendingClass of batch.classes.values()) {
      const { route, first } = pendingClass;
      let classKey = pendingClass.classKey;
      if (statements.classExists.get(route, classKey) === undefined) {
        const known = classesPerRoute.get(route) ?? (statements.classesOfRoute.get(route) as number);
        // The cap keeps a route whose answers differ everywhere (a random id in every path) from growing without end.
        if (known >= settings.maxClassesPerRoute && classKey !== OTHER_CLASS) classKey = OTHER_CLASS;
        else classesPerRoute.set(route, known + 1);
      }
      const other = classKey === OTHER_CLASS;
      statements.classUpsert.run(
        route,
        classKey,
        other ? 'other' : first.kind,
        other ? '' : clip(first.path),
        other ? '' : clip(first.legacy),
        other ? '' : clip(first.ts),
        pendingClass.firstSeen,
        pendingClass.lastSeen,
      );
      for (const [minute, n] of pendingClass.perMinute) statements.classMinute.run(route, minute, classKey, n);
      let kept = statements.sampleCount.get(route, classKey) as number;
      for (const sample of pendingClass.samples) {
        if (kept >= settings.samplesPerClass) break;
        statements.sampleInsert.run(route, classKey, sample.at, sample.revision, JSON.stringify(sample));
        kept += 1;
      }
    }
  }

  function flush() {
    const batch = pending;
    if (batch.isEmpty) return; // an idle worker takes no lock
    const at = now();
    write.immediate(batch, at);
    if (at - lastPruneMs >= PRUNE_EVERY_MS) lastPruneMs = at;
    // Only after the commit: a failed write leaves the sums for the next flush.
    if (pending === batch) pending = new Pending();
  }

  const timer = setInterval(() => {
    try {
      flush();
    } catch (error) {
      warn(`evidence: could not write to the state file, will retry in ${settings.flushIntervalMs} ms: ${(error as Error).message}`);
    }
  }, settings.flushIntervalMs);
  timer.unref();

  return {
    request(route, side, status, durationMs, failed) {
      count(route, counterName.requests(side));
      if (failed || status >= 500) count(route, counterName.errors(side));
      latency(route, side, durationMs);
    },
    shadow(route, event, durationMs) {
      count(route, counterName.shadow(event));
      if (event === 'sent' && durationMs !== undefined) latency(route, 'shadow', durationMs);
    },
    comparison(route, revision, outcome, differences, sample) {
      const at = now();
      const minute = minuteOf(at);
      add(pending.comparisons, [route, minute, revision, outcome].join(SEP));
      if (outcome !== 'mismatch') return;
      let stored: StoredSample | null = null;
      if (sample !== undefined) {
        const secrets = unredactedHeaders(sample);
        if (secrets.length === 0) stored = toStoredSample(sample, at, revision);
        else {
          count(route, counterName.samplesRefused);
          const what = `${route} ${secrets.join(', ')}`;
          if (!warned.has(what))
            warn(`evidence: refused a sample for ${route}: ${secrets.join(', ')} not redacted (redact with gateway/compare's redactRequest/redactResponse before recording)`);
          warned.add(what); // once per route and header: a caller that forgets does so on every request
        }
      }
      const seen = new Set<string>();
      for (const difference of differences) {
        if (seen.has(difference.classKey)) continue; // a class counts once per comparison, however many indices differ
        seen.add(difference.classKey);
        const key = route + SEP + difference.classKey;
        let pendingClass = pending.classes.get(key);
        if (pendingClass === undefined) {
          pendingClass = { route, classKey: difference.classKey, first: difference, firstSeen: at, lastSeen: at, perMinute: new Map(), samples: [] };
          pending.classes.set(key, pendingClass);
        }
        pendingClass.lastSeen = Math.max(pendingClass.lastSeen, at);
        pendingClass.perMinute.set(minute, (pendingClass.perMinute.get(minute) ?? 0) + 1);
        if (stored !== null && pendingClass.samples.length < settings.samplesPerClass) pendingClass.samples.push(stored);
      }
    },
    noiseCheck(route, differences, stableClassKeys = []) {
      const minute = minuteOf(now());
      count(route, counterName.noiseChecks);
      for (const classKey of new Set(differences.map((d) => d.classKey))) add(pending.noise, [route, minute, 0, classKey].join(SEP));
      for (const classKey of [...new Set(stableClassKeys)].slice(0, MAX_STABLE_PATHS_PER_CHECK)) add(pending.noise, [route, minute, 1, classKey].join(SEP));
    },
    fallback(route, door, reason) {
      count(route, counterName.fallback(door, reason));
    },
    flush,
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      flush();
    },
  };
}
