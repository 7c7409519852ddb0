/**
 * Metrics across the workers of a clustered TS server (TS_WORKERS > 1): a scrape reaches one worker,
 * which asks the primary; the primary collects every worker's metrics with prom-client's
 * AggregatorRegistry (counters and histograms summed) and sends the text back. So any worker answers
 * for the whole cluster, and N requests spread over the workers count N.
 *
 * @example
 * // primary
 * runPrimary({ ..., onMetricsRequest: answerMetricsRequests() });
 * // worker
 * const text = await clusterMetricsText();
 */
import type { Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { isWorkerMessage, tellPrimary } from '../process/siblings.ts';

// Below prom-client's own 5 s wait for the workers, so its error, not a bare timeout, is what a scrape sees.
const REPLY_TIMEOUT_MS = 6_000;

export interface MetricsRequest {
  readonly id: number;
}

let nextId = 0;

/** In a worker: the whole cluster's metrics, asked of the primary. Rejects when it does not answer in time. */
export function clusterMetricsText(): Promise<string> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if (!isWorkerMessage(message) || message.strangler !== 'metrics' || message.id !== id) return;
      settle();
      if (message.text !== undefined) resolve(message.text);
      else reject(new Error(`the cluster's metrics could not be collected: ${message.error ?? 'no reason given'}`));
    };
    const timer = setTimeout(() => {
      settle();
      reject(new Error(`the primary did not answer with the cluster's metrics within ${REPLY_TIMEOUT_MS} ms`));
    }, REPLY_TIMEOUT_MS);
    const settle = (): void => {
      clearTimeout(timer);
      process.off('message', onMessage);
    };
    process.on('message', onMessage);
    tellPrimary({ strangler: 'metrics-request', id });
  });
}

/** In the primary: answer a worker's request with every worker's metrics, summed. */
export function answerMetricsRequests(): (worker: Worker, request: MetricsRequest) => void {
  const aggregator = new AggregatorRegistry();
  return (worker, { id }) => {
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ strangler: 'metrics', id, text }),
      (err: unknown) => worker.isConnected() && worker.send({ strangler: 'metrics', id, error: err instanceof Error ? err.message : String(err) }),
    );
  };
}
