/**
 * The TS server's Prometheus metrics (prom-client), served on the internal listener only (`GET
 * /metrics`, bearer token like every internal request): requests by route, backend and status, latency
 * per backend, proxy failures by kind, route-table reloads applied and refused. They are counted from
 * the access records (gateway/access), the same data the access log writes. The traffic modes add
 * comparisons, noise checks, shadow copies, demotions and front-door fallbacks by route (./evidence.ts). With several workers each
 * counts its own and a scrape on any of them answers for the whole cluster (./cluster.ts).
 *
 * @example
 * const metrics = createMetrics();
 * createTsServer({ ..., onAccess: metrics.observe });
 * reloadOnSighup({ ..., onReload: metrics.tableReloaded });
 * await metrics.text(); // '# HELP strangler_requests_total ...'
 */
import { AggregatorRegistry, Counter, Histogram, Registry, type PrometheusContentType } from 'prom-client';
import type { AccessRecord } from '../access/index.ts';
import type { EvidenceRecorder } from '../evidence/types.ts';
import { evidenceMetrics } from './evidence.ts';

export { clusterMetricsText, answerMetricsRequests, type MetricsRequest } from './cluster.ts';

/** Seconds; from a cached answer to the proxy timeout's order of magnitude. */
export const LATENCY_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

/** The label value for a request answered before it was routed (a 400, a path under /_internal). */
export const UNROUTED = 'none';

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

export type ReloadResult = 'applied' | 'refused';

export interface GatewayMetrics {
  readonly registry: AggregatorRegistry<PrometheusContentType>;
  /** Count one answered request from its access record. */
  observe(record: AccessRecord): void;
  /** Count a route-table reload, applied or refused (the last good table stayed). */
  tableReloaded(result: ReloadResult): void;
  /** The exposition text of this process's metrics. */
  text(): Promise<string>;
  /** A recorder that counts comparisons, noise checks and shadow copies here, then records them (./evidence.ts). */
  countEvidence(recorder: EvidenceRecorder): EvidenceRecorder;
  /** Release the state file the demotion and front-door fallback counts are read from. */
  close(): void;
}

export interface MetricsOptions {
  /** The gateway's state file (`<STRANGLER_STATE_DIR>/state.db`): demotions and front-door fallbacks are read from it at scrape time; null: not counted. */
  readonly stateFile?: string | null;
}

/**
 * This process's metrics, in a registry of their own. The registry is an AggregatorRegistry so that a
 * cluster worker also answers the primary's requests for its metrics.
 */
export function createMetrics({ stateFile = null }: MetricsOptions = {}): GatewayMetrics {
  const registry = new AggregatorRegistry<PrometheusContentType>();
  // A worker hands the primary this registry's metrics, not prom-client's global one.
  AggregatorRegistry.setRegistries([registry]);
  const requests = new Counter({
    name: 'strangler_requests_total',
    help: 'Requests answered on the public listener, by route (its path in the table), backend that answered and status.',
    labelNames: ['route', 'backend', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'strangler_request_duration_seconds',
    help: 'Time from the request to the end of its answer, by backend.',
    labelNames: ['backend'] as const,
    buckets: [...LATENCY_BUCKETS_S],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'strangler_proxy_failures_total',
    help: 'Forwards that failed, by kind (gateway/proxy/errors.ts).',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const fallbacks = new Counter({
    name: 'strangler_fallbacks_total',
    help: 'Requests legacy answered because TS failed before its first byte, by route and door (ts: the handler failed at the TS server).',
    labelNames: ['route', 'door'] as const,
    registers: [registry],
  });
  const reloads = new Counter({
    name: 'strangler_table_reloads_total',
    help: 'Route-table reloads per process: applied, or refused (the last good table stayed live).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  // Present from the first scrape, so a rate() over them never starts from nothing.
  for (const result of ['applied', 'refused'] as const) reloads.inc({ result }, 0);
  const evidence = evidenceMetrics(registry, stateFile);

  return {
    registry,
    observe(record) {
      const backend = record.backend ?? UNROUTED;
      requests.inc({ route: record.route ?? UNROUTED, backend, status: String(record.status) });
      latency.observe({ backend }, record.duration_s);
      if (record.failure !== null) failures.inc({ kind: record.failure });
      if (record.fallback !== null) fallbacks.inc({ route: record.route ?? UNROUTED, door: 'ts' });
    },
    tableReloaded: (result) => reloads.inc({ result }),
    text: () => registry.metrics(),
    countEvidence: evidence.countEvidence,
    close: evidence.close,
  };
}
