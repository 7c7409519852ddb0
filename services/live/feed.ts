/**
 * The forum's live feed, whatever the transport: topics (`thread:<id>`, `board:<slug>`), subscribers
 * with the last post id each has seen, catch-up from the database, and the scan that finds new posts.
 *
 * Nothing lost, nothing twice: a change notification (legacy's, this side's, another worker's) only
 * says "look"; the feed then reads every post after the last id it scanned, in id order, from the
 * database, and hands each to the subscribers of its thread and board whose last id is lower. A lost
 * notification is covered by the next one or by the poll (every `pollMs`). Post ids grow in commit
 * order (SQLite has one writer at a time), so "after the last id" misses nothing that was committed.
 */
import type { ChangeBus } from '../../gateway/changes/index.ts';
import type { Logger } from '../../gateway/log/index.ts';
import type { LivePost, LiveQueries } from './queries.ts';

export type { LivePost } from './queries.ts';

/** A topic as clients name it: `thread:12` or `board:general`. */
export type Topic = { readonly key: string; readonly kind: 'thread'; readonly id: number } | { readonly key: string; readonly kind: 'board'; readonly slug: string };

/** One client's interest in one topic. */
export interface Subscriber {
  /** Called for each new post of the topic, in id order, each once. */
  deliver(topic: string, post: LivePost): void;
}

export interface ReplayLimits {
  /** A gap of more posts than this is not replayed ("not recovered"). */
  readonly maxPosts: number;
  /** A gap whose first missed post is older than this is not replayed; 0: no age limit. */
  readonly maxAgeMs: number;
}

export interface FeedOptions {
  readonly queries: LiveQueries;
  readonly changes: ChangeBus;
  readonly logger: Logger;
  /** The longest a post can wait when its notification was lost. */
  readonly pollMs: number;
  readonly replay: ReplayLimits;
}

/** What a subscription starts with: the topic's last post id now, and what was missed after the client's id. */
export interface Subscription {
  /** The topic's newest post id when the subscription started (what a client resumes from next time). */
  readonly last: number;
  /** Missed posts to send before anything else, oldest first; 'not_recovered' when the gap is too old or too long. */
  readonly missed: readonly LivePost[] | 'not_recovered';
}

export interface LiveFeed {
  /** The topic a client named, or undefined when no such thread or board exists. */
  resolve(topic: Topic): (Topic & { readonly boardId?: number }) | undefined;
  /**
   * Start delivering the topic's posts after `after` (default: from now on) to `subscriber`. Synchronous:
   * the caller sends `missed` before it yields, and every later post comes through `deliver`.
   */
  subscribe(topic: Topic & { readonly boardId?: number }, subscriber: Subscriber, after?: number): Subscription;
  unsubscribe(topic: Topic, subscriber: Subscriber): void;
  /** Read new posts now (what a notification or the poll triggers). */
  scan(): void;
  /** Subscribers held now. */
  size(): number;
  stop(): void;
}

// Posts read per statement while scanning: a burst is read in several steps, never all at once.
const SCAN_BATCH = 500;

const TOPIC = /^(?:thread:([1-9][0-9]{0,15})|board:([a-z0-9][a-z0-9_-]{0,63}))$/;
const MAX_ID = Number.MAX_SAFE_INTEGER;

/**
 * Parse a topic's name, or undefined when it does not follow `thread:<id>` or `board:<slug>`.
 *
 * @example
 * parseTopic('thread:12'); // { key: 'thread:12', kind: 'thread', id: 12 }
 * parseTopic('thread:x'); // undefined
 */
export function parseTopic(text: string): Topic | undefined {
  const match = TOPIC.exec(text);
  if (!match) return undefined;
  if (match[1] !== undefined) {
    const id = Number(match[1]);
    return id <= MAX_ID ? { key: text, kind: 'thread', id } : undefined;
  }
  return { key: text, kind: 'board', slug: match[2]! };
}

/**
 * @example
 * const feed = createLiveFeed({ queries, changes, logger, pollMs: 2000, replay: { maxPosts: 1000, maxAgeMs: 86_400_000 } });
 * const topic = feed.resolve(parseTopic('thread:12')!);
 * const { last, missed } = feed.subscribe(topic!, { deliver: (key, post) => send(post.json) }, 340);
 */
export function createLiveFeed({ queries, changes, logger, pollMs, replay }: FeedOptions): LiveFeed {
  const topics = new Map<string, Map<Subscriber, { last: number }>>();
  let subscribers = 0;
  // The newest post id every subscriber has been handed (or was not interested in).
  let scanned = queries.lastPostId();
  let scheduled = false;

  const deliverTo = (key: string, post: LivePost): void => {
    const held = topics.get(key);
    if (!held) return;
    for (const [subscriber, state] of held) {
      if (post.id <= state.last) continue;
      state.last = post.id;
      // One client's failure must not keep the others from their post.
      try {
        subscriber.deliver(key, post);
      } catch (err) {
        logger.error({ event: 'live_deliver_failed', topic: key, err }, 'delivering a post failed');
      }
    }
  };

  const scan = (): void => {
    scheduled = false;
    if (subscribers === 0) {
      // Nobody to tell: skip what was written meanwhile rather than read it all for no one.
      scanned = queries.lastPostId();
      return;
    }
    for (;;) {
      const posts = queries.postsAfter(scanned, SCAN_BATCH);
      for (const post of posts) {
        scanned = post.id;
        deliverTo(`thread:${post.thread}`, post);
        deliverTo(`board:${post.board}`, post);
      }
      if (posts.length < SCAN_BATCH) return;
    }
  };
  const scheduleScan = (): void => {
    if (scheduled) return;
    scheduled = true;
    // Several notifications in one turn of the event loop make one scan.
    setImmediate(scan);
  };

  // Any change may mean a new post; its payload says where, but the database says what.
  const stopListening = changes.subscribe(scheduleScan);
  const poll = setInterval(() => subscribers > 0 && scan(), pollMs);
  poll.unref();

  const missedSince = (topic: Topic & { readonly boardId?: number }, after: number): LivePost[] | 'not_recovered' => {
    const limit = replay.maxPosts + 1;
    const posts = topic.kind === 'thread' ? queries.threadPosts(topic.id, after, scanned, limit) : queries.boardPosts(topic.boardId!, after, scanned, limit);
    if (posts.length > replay.maxPosts) return 'not_recovered';
    if (replay.maxAgeMs > 0 && posts.length > 0 && Date.now() - Date.parse(posts[0]!.createdAt) > replay.maxAgeMs) return 'not_recovered';
    return posts;
  };

  return {
    resolve(topic) {
      if (topic.kind === 'thread') return queries.threadLast(topic.id) === undefined ? undefined : topic;
      const board = queries.board(topic.slug);
      return board === undefined ? undefined : { ...topic, boardId: board.id };
    },
    subscribe(topic, subscriber, after) {
      // Catch everyone up first, so that this subscriber's start and the others' agree on `scanned`.
      scan();
      const last = topic.kind === 'thread' ? (queries.threadLast(topic.id) ?? 0) : (queries.board(topic.slug)?.last ?? 0);
      let missed: LivePost[] | 'not_recovered' = [];
      // Without an id the client starts at the topic's newest post, as legacy's feed does.
      let from = Math.min(last, scanned);
      if (after !== undefined) {
        missed = missedSince(topic, after);
        // A client that claims a later id than exists gets only posts after it (legacy's rule too).
        from = missed === 'not_recovered' ? scanned : Math.max(after, scanned);
      }
      let held = topics.get(topic.key);
      if (!held) topics.set(topic.key, (held = new Map()));
      if (!held.has(subscriber)) subscribers += 1;
      held.set(subscriber, { last: from });
      return { last, missed };
    },
    unsubscribe(topic, subscriber) {
      const held = topics.get(topic.key);
      if (!held?.delete(subscriber)) return;
      subscribers -= 1;
      if (held.size === 0) topics.delete(topic.key);
    },
    scan,
    size: () => subscribers,
    stop() {
      stopListening();
      clearInterval(poll);
    },
  };
}
