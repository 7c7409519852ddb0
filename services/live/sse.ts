/**
 * `GET /live/t/<id>`: the thread's new posts as server-sent events, byte for byte legacy's feed
 * (legacy-python/forum/live.py): `: connected`, then `event: post` / `id: <post id>` / `data: <post JSON>`
 * per post, `: keepalive` when quiet, the posts after `Last-Event-ID` first on a reconnection, and the
 * forum's 404 page for a thread that does not exist. Beyond legacy: a gap too long or too old to replay
 * gets one `event: reset` instead of a partial replay, a full server answers 503, and `?last_event_id=`
 * stands in for the header.
 */
import type { Hono } from 'hono';
import { openSseStream, readableStreamSink, type LiveRegistry, type SseStream } from '../../gateway/live/index.ts';
import { STREAM_TAKEN, type ServiceEnv } from '../../gateway/server/index.ts';
import { ApiError, parseId, type ForumPages } from '../forum-common/index.ts';
import type { LiveFeed, LivePost, Subscriber, Topic } from './feed.ts';

export interface SseRouteOptions {
  readonly feed: LiveFeed;
  readonly registry: LiveRegistry;
  readonly pages: ForumPages;
  readonly maxBufferedBytes: number;
}

const encoder = new TextEncoder();
const CONNECTED = encoder.encode(': connected\n\n');
// legacy's headers, in legacy's order (the parity suite compares them).
const HEADERS = { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' };
// legacy reads Last-Event-ID as ASCII digits, at most 16 of them; anything else means "from now on".
const LAST_EVENT_ID = /^[0-9]{1,16}$/;

/** The bytes of one post's event; the same bytes for every client, so made once per post. */
const eventBytes = new WeakMap<LivePost, Uint8Array>();
export function postEvent(post: LivePost): Uint8Array {
  let bytes = eventBytes.get(post);
  if (!bytes) eventBytes.set(post, (bytes = encoder.encode(`event: post\nid: ${post.id}\ndata: ${post.json}\n\n`)));
  return bytes;
}

/**
 * @example
 * mountThreadEvents(app, { feed, registry, pages, maxBufferedBytes: 1 << 20 });
 * // GET /live/t/12 with Last-Event-ID: 340 → ": connected", then posts 341… of thread 12, then new ones
 */
export function mountThreadEvents(app: Hono<ServiceEnv>, { feed, registry, pages, maxBufferedBytes }: SseRouteOptions): void {
  app.get('/live/t/:id', (c) => {
    let id: number;
    try {
      id = parseId(c.req.param('id'), 'thread');
    } catch (err) {
      if (err instanceof ApiError) return pages.htmlError(err.status, err.message);
      throw err;
    }
    const topic = feed.resolve({ key: `thread:${id}`, kind: 'thread', id } satisfies Topic);
    if (!topic) return pages.htmlError(404, `thread ${id} does not exist`);
    // A HEAD learns what a GET would start with, and no stream is held for it.
    if (c.env.clientMethod === 'HEAD') return new Response(null, { status: 200, headers: HEADERS });
    // The header is the browser's own resumption; the query parameter is forum.js's, for a stream the
    // browser gave up on (EventSource sends no Last-Event-ID on a new object).
    const lastEventId = c.req.header('last-event-id') ?? c.req.query('last_event_id') ?? '';
    const after = LAST_EVENT_ID.test(lastEventId) ? Number(lastEventId) : undefined;

    if (!registry.hasRoom()) {
      return pages.htmlError(503, 'The live feed is at its connection limit right now; try again in a moment.', { 'retry-after': '5' });
    }
    // Straight onto the connection when the server offers it; a Response body otherwise (unit tests).
    const fetchBody = c.env.openStream ? undefined : readableStreamSink();
    const sink = c.env.openStream?.(200, HEADERS) ?? fetchBody!.sink;
    const answer = (): Response => (fetchBody ? new Response(fetchBody.body, { status: 200, headers: HEADERS }) : STREAM_TAKEN);
    const subscriber = new StreamSubscriber(feed, topic);
    const stream = openSseStream({ registry, sink, maxBufferedBytes, onClose: subscriber.unsubscribe.bind(subscriber) });
    if (!stream) {
      sink.end();
      return answer();
    }
    subscriber.stream = stream;
    stream.send(CONNECTED);
    const { last, missed } = feed.subscribe(topic, subscriber, after);
    if (missed === 'not_recovered') {
      // The client's id moves to the newest post, so that its reconnection does not ask for the same gap again.
      stream.send(encoder.encode(`event: reset\nid: ${last}\ndata: {"reason":"not_recovered","topic":"${topic.key}","last":${last}}\n\n`));
    } else {
      for (const post of missed) stream.send(postEvent(post));
    }
    return answer();
  });
}

// What a held stream keeps of its request: its topic and where posts go; not the request, nor closures
// over the handler's scope (a class's methods are shared by every stream; under tsx each closure also
// costs a property dictionary of its own).
class StreamSubscriber implements Subscriber {
  stream: SseStream | undefined;
  constructor(
    private readonly feed: LiveFeed,
    private readonly topic: Topic,
  ) {}
  deliver(_topic: string, post: LivePost): void {
    this.stream?.send(postEvent(post));
  }
  unsubscribe(): void {
    this.feed.unsubscribe(this.topic, this);
  }
}
