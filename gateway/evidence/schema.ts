/**
 * The evidence tables in the gateway state file. Every table keyed by minute holds sums that writers add
 * to (`ON CONFLICT ... DO UPDATE SET n = n + excluded.n`), so any number of processes can write the same
 * minute and nothing is lost or counted twice.
 */

export const EVIDENCE_SCHEMA = `
CREATE TABLE IF NOT EXISTS evidence_counts (
  route TEXT NOT NULL,
  minute INTEGER NOT NULL,
  name TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (route, minute, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS evidence_counts_minute ON evidence_counts (minute);
CREATE TABLE IF NOT EXISTS evidence_latency (
  route TEXT NOT NULL,
  minute INTEGER NOT NULL,
  series TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (route, minute, series, bucket)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS evidence_latency_minute ON evidence_latency (minute);
CREATE TABLE IF NOT EXISTS evidence_comparisons (
  route TEXT NOT NULL,
  minute INTEGER NOT NULL,
  revision TEXT NOT NULL,
  outcome TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (route, minute, revision, outcome)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS evidence_comparisons_minute ON evidence_comparisons (minute);
CREATE TABLE IF NOT EXISTS evidence_classes (
  route TEXT NOT NULL,
  class_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  path TEXT NOT NULL,
  legacy TEXT NOT NULL,
  ts TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY (route, class_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS evidence_class_counts (
  route TEXT NOT NULL,
  minute INTEGER NOT NULL,
  class_key TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (route, minute, class_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS evidence_class_counts_minute ON evidence_class_counts (minute);
CREATE TABLE IF NOT EXISTS evidence_samples (
  id INTEGER PRIMARY KEY,
  route TEXT NOT NULL,
  class_key TEXT NOT NULL,
  at INTEGER NOT NULL,
  revision TEXT NOT NULL,
  sample TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS evidence_samples_class ON evidence_samples (route, class_key);
CREATE TABLE IF NOT EXISTS evidence_noise (
  route TEXT NOT NULL,
  minute INTEGER NOT NULL,
  stable INTEGER NOT NULL,
  class_key TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (route, minute, stable, class_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS evidence_noise_minute ON evidence_noise (minute);
`;

/** Tables whose rows are per minute, pruned past the retention. */
export const MINUTE_TABLES = ['evidence_counts', 'evidence_latency', 'evidence_comparisons', 'evidence_class_counts', 'evidence_noise'] as const;

export const MINUTE_MS = 60_000;
export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS);

/** Counter names in evidence_counts. */
export const counterName = {
  requests: (side: string) => `requests:${side}`,
  errors: (side: string) => `errors:${side}`,
  shadow: (event: string) => `shadow:${event}`,
  fallback: (door: string, reason: string) => `fallback:${door}:${reason}`,
  noiseChecks: 'noise-checks',
  samplesRefused: 'samples-refused',
} as const;

/** Latency series in evidence_latency. */
export type LatencySeries = 'legacy' | 'ts' | 'shadow';
