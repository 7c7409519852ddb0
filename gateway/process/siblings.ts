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
  | { readonly strangler: 'metrics'; readonly id: number; readonly text?: string; readonly error?: string }
  /** The route table revision this worker now serves (at start and after each reload). */
  | { readonly strangler: 'revision'; readonly revision: string }
  /** A worker asks the primary what every worker serves; the primary answers with `workers`. */
  | { readonly strangler: 'workers?'; readonly id: number }
  | { readonly strangler: 'workers'; readonly id: number; readonly workers: readonly WorkerRevision[] }
  /** The primary retires a worker (rolling restart): stop accepting, let the clients close their connections, exit. */
  | { readonly strangler: 'retire' };

/** One worker process and the route table revision it reported last. */
export interface WorkerRevision {
  readonly worker: number;
  readonly pid: number;
  readonly revision: string | null;
}

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

const ASK_TIMEOUT_MS = 2_000;
let asked = 0;

/**
 * What every worker of this clustered server serves, as the primary knows it (each worker tells it after
 * every table it loads); in a process that is no cluster worker, null.
 *
 * @example
 * const workers = await askPrimaryForWorkers(); // [{ worker: 1, pid: 4242, revision: '7-1f3a9c0b' }, ...]
 */
export function askPrimaryForWorkers(): Promise<readonly WorkerRevision[] | null> {
  if (!process.send) return Promise.resolve(null);
  const id = ++asked;
  return new Promise((done, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error(`the primary did not say within ${ASK_TIMEOUT_MS} ms what its workers serve`));
    }, ASK_TIMEOUT_MS);
    const onMessage = (message: unknown): void => {
      if (!isWorkerMessage(message) || message.strangler !== 'workers' || message.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      done(message.workers);
    };
    process.on('message', onMessage);
    tellPrimary({ strangler: 'workers?', id });
  });
}
