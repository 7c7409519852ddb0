/**
 * What a worker process of a clustered server (TS_WORKERS > 1) says to the primary, and how the
 * primary's relay reaches it: "I listen here", "I cannot start, because…", and messages for the same
 * service in every other worker. In a single process the same calls do nothing, so callers need not
 * know how many processes there are.
 *
 * @example
 * const siblings = clusterSiblings();
 * siblings.on('sessions.forget', (hash) => resolver.forget(String(hash)));
 * siblings.send('sessions.forget', hash); // every other worker; not this one
 */

/** A message for the same code in every other worker process of this server. */
export interface Siblings {
  /** Deliver `payload` to the handlers of `topic` in every other worker (asynchronously; not here). */
  send(topic: string, payload: unknown): void;
  /** Handle what another worker sent on `topic`. */
  on(topic: string, handler: (payload: unknown) => void): void;
}

/** The IPC vocabulary between the primary and its workers. */
export type WorkerMessage =
  | { readonly strangler: 'listening'; readonly url: string; readonly internalUrl: string }
  | { readonly strangler: 'failed'; readonly event: string; readonly message: string }
  | { readonly strangler: 'sibling'; readonly topic: string; readonly payload: unknown }
  /** A worker asks for the whole cluster's metrics (gateway/metrics/cluster.ts); the primary answers with `metrics`. */
  | { readonly strangler: 'metrics-request'; readonly id: number }
  | { readonly strangler: 'metrics'; readonly id: number; readonly text?: string; readonly error?: string };

export const isWorkerMessage = (value: unknown): value is WorkerMessage =>
  typeof value === 'object' && value !== null && typeof (value as { strangler?: unknown }).strangler === 'string';

/** Siblings of a process that has none: sending goes nowhere and nothing ever arrives. */
export const noSiblings: Siblings = { send() {}, on() {} };

/** Siblings of a cluster worker: messages go to the primary, which relays them to the other workers. */
export function clusterSiblings(): Siblings {
  const handlers = new Map<string, ((payload: unknown) => void)[]>();
  process.on('message', (message: unknown) => {
    if (!isWorkerMessage(message) || message.strangler !== 'sibling') return;
    for (const handler of handlers.get(message.topic) ?? []) handler(message.payload);
  });
  return {
    send: (topic, payload) => tellPrimary({ strangler: 'sibling', topic, payload }),
    on: (topic, handler) => void handlers.set(topic, [...(handlers.get(topic) ?? []), handler]),
  };
}

/** Send one message to the primary; a worker whose primary is gone is about to exit anyway. */
export const tellPrimary = (message: WorkerMessage): void => {
  process.send?.(message, undefined, undefined, () => {});
};
