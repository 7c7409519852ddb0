/**
 * The traffic modes' metrics, two kinds by where the event is known:
 * - counted where it happens, in the TS worker that records it (comparisons by outcome, shadow copies by
 *   fate): each worker counts its own and the primary sums them (`aggregator: 'sum'`, prom-client's
 *   default), so N events spread over the workers count N;
 * - read from the gateway's state file at scrape time (automatic demotions, made by `strangler up`, and
 *   fallbacks at the front doors, the edge and nginx, which no TS worker sees): every worker reads the
 *   same rows, so the primary takes one worker's value (`aggregator: 'first'`); summed they would count
 *   N times. Front-door fallbacks are read from the kept evidence (STRANGLER_EVIDENCE_DAYS), so the
 *   counter drops when old minutes are pruned, which Prometheus reads as a counter reset.
 *
 * @example
 * const metrics = createMetrics({ stateFile: stateFileIn(config.stateDir) });
 * const recorder = metrics.countEvidence(store.recorder()); // counts, then records
 */
import type Database from 'better-sqlite3';
import { Counter, type Registry, type PrometheusContentType } from 'prom-client';
import { AUTOMATIC } from '../control/audit.ts';
import { openStateDb } from '../control/state-db.ts';
import type { EvidenceRecorder } from '../evidence/types.ts';

const FRONT_DOORS = ['edge', 'nginx'] as const;

export interface EvidenceMetrics {
  /** A recorder that counts each event in this process's metrics, then passes it on. */
  countEvidence(recorder: EvidenceRecorder): EvidenceRecorder;
  close(): void;
}

export function evidenceMetrics(registry: Registry<PrometheusContentType>, stateFile: string | null): EvidenceMetrics {
  const comparisons = new Counter({
    name: 'strangler_comparisons_total',
    help: 'Shadow comparisons of a TS answer with legacy, by route and outcome: match, mismatch, or noise (differed only where legacy differs from itself).',
    labelNames: ['route', 'outcome'] as const,
    registers: [registry],
  });
  const shadowCopies = new Counter({
    name: 'strangler_shadow_copies_total',
    help: 'Shadow copies by route and fate: sent, dropped-concurrency, skipped-sample, skipped-method, too-large, failed.',
    labelNames: ['route', 'event'] as const,
    registers: [registry],
  });
  const noiseChecks = new Counter({
    name: 'strangler_noise_checks_total',
    help: 'Times legacy was asked twice to measure noise, by route and whether its two answers differed.',
    labelNames: ['route', 'differed'] as const,
    registers: [registry],
  });
  let db: Database.Database | null = null;
  // Opened on the first scrape; a state file that cannot be opened leaves these metrics empty, never the scrape failing.
  const state = (): Database.Database | null => {
    if (stateFile === null) return null;
    try {
      db ??= openStateDb(stateFile);
      return db;
    } catch {
      return null;
    }
  };
  const rows = <T>(sql: string): T[] => {
    try {
      return (state()?.prepare(sql).all() as T[] | undefined) ?? [];
    } catch {
      return []; // a table not created yet: nothing recorded
    }
  };
  new Counter({
    name: 'strangler_demotions_total',
    help: 'Routes demoted by strangler up on a spike of TS errors and fallbacks, by route and the mode they went to (from the audit log).',
    labelNames: ['route', 'to'] as const,
    registers: [registry],
    aggregator: 'first',
    collect() {
      this.reset();
      const found = rows<{ route: string; command: string; n: number }>(
        `SELECT route, command, count(*) AS n FROM audit_log WHERE who = '${AUTOMATIC}' AND outcome = 'applied' GROUP BY route, command`,
      );
      for (const { route, command, n } of found) this.inc({ route, to: command.split(' ').at(-1) ?? '' }, n);
    },
  });
  new Counter({
    name: 'strangler_front_door_fallbacks_total',
    help: 'Requests a front door (edge, nginx) sent to legacy because TS could not answer, by route and door (from the evidence kept in the state file).',
    labelNames: ['route', 'door'] as const,
    registers: [registry],
    aggregator: 'first',
    collect() {
      this.reset();
      // The evidence store counts a fallback as `fallback:<door>:<reason>` (gateway/evidence/schema.ts).
      const found = rows<{ route: string; name: string; n: number }>(
        `SELECT route, name, sum(n) AS n FROM evidence_counts WHERE ${FRONT_DOORS.map((d) => `name LIKE 'fallback:${d}:%'`).join(' OR ')} GROUP BY route, name`,
      );
      for (const { route, name, n } of found) this.inc({ route, door: name.split(':')[1]! }, n);
    },
  });

  return {
    countEvidence(recorder) {
      return {
        request: (...args) => recorder.request(...args),
        shadow(route, event, durationMs, status) {
          shadowCopies.inc({ route, event });
          recorder.shadow(route, event, durationMs, status);
        },
        comparison(route, revision, outcome, differences, sample) {
          comparisons.inc({ route, outcome });
          recorder.comparison(route, revision, outcome, differences, sample);
        },
        noiseCheck(route, differences, stable) {
          noiseChecks.inc({ route, differed: differences.length > 0 ? 'yes' : 'no' });
          recorder.noiseCheck(route, differences, stable);
        },
        fallback: (...args) => recorder.fallback(...args),
        flush: () => recorder.flush(),
        close: () => recorder.close(),
      };
    },
    close() {
      db?.close();
      db = null;
    },
  };
}
