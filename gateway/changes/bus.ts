/**
 * What changed, told once and heard by everyone interested: the page cache drops what a change touched,
 * and the live feeds (later) push it to clients. A small in-process publish/subscribe; with several
 * worker processes (TS_WORKERS > 1) a change published in one worker reaches the others through the
 * primary's relay (gateway/process/siblings.ts). Across machines the same interface would sit on Redis.
 */
import type { Logger } from '../log/index.ts';
import { noSiblings, type Siblings } from '../process/siblings.ts';

/** One change, in the app's own words: a kind (`post`, `thread`, `user`…) and the ids it touched. */
export interface Change {
  readonly kind: string;
  readonly [field: string]: string | number | boolean | null;
}

export type ChangeHandler = (changes: readonly Change[]) => void;

export interface ChangeBus {
  /** Tell every subscriber here (at once, before returning) and in every sibling process (soon after). */
  publish(changes: readonly Change[]): void;
  /** Hear every change published here or in a sibling; returns the function that stops it. */
  subscribe(handler: ChangeHandler): () => void;
}

export interface ChangeBusOptions {
  readonly logger: Logger;
  /** The other worker processes of this server; none by default. */
  readonly siblings?: Siblings;
}

export const CHANGES_TOPIC = 'changes';

/**
 * @example
 * const bus = createChangeBus({ logger, siblings });
 * bus.subscribe((changes) => cache.invalidate(changes.flatMap(tagsOf)));
 * bus.publish([{ kind: 'post', thread: 12, board: 'general' }]);
 */
export function createChangeBus({ logger, siblings = noSiblings }: ChangeBusOptions): ChangeBus {
  const handlers = new Set<ChangeHandler>();
  const deliver = (changes: readonly Change[]): void => {
    for (const handler of handlers) {
      // One subscriber's bug must not keep the others (the cache) from hearing the change.
      try {
        handler(changes);
      } catch (err) {
        logger.error({ event: 'change_handler_failed', err }, 'a change subscriber threw');
      }
    }
  };
  siblings.on(CHANGES_TOPIC, (payload) => {
    if (Array.isArray(payload)) deliver(payload as Change[]);
  });
  return {
    publish(changes) {
      if (changes.length === 0) return;
      deliver(changes);
      siblings.send(CHANGES_TOPIC, changes);
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => void handlers.delete(handler);
    },
  };
}
