import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChangeBus } from '../../gateway/changes/index.ts';
import { openForumDb, type ForumDb } from '../forum-common/index.ts';
import { createFixtureDb } from '../forum-common/testing.ts';
import { createLiveFeed, liveSettingsFrom, parseTopic, type LiveFeed, type LivePost } from './index.ts';
import { prepareLiveQueries } from './queries.ts';

const logger = pino({ level: 'silent' });

describe('liveSettingsFrom', () => {
  it('takes the defaults, and reads each variable', () => {
    expect(liveSettingsFrom({})).toMatchObject({ maxConnections: 20_000, heartbeatMs: 15_000, replayMaxAgeMs: 86_400_000 });
    expect(liveSettingsFrom({ LIVE_MAX_CONNECTIONS: '5', LIVE_REPLAY_MAX_AGE_S: '0' })).toMatchObject({ maxConnections: 5, replayMaxAgeMs: 0 });
  });

  it('refuses every bad value at once, and a heartbeat not under the proxy timeout, saying what to do', () => {
    expect(() => liveSettingsFrom({ LIVE_MAX_CONNECTIONS: '0', LIVE_POLL_MS: 'soon' })).toThrow(
      /LIVE_MAX_CONNECTIONS must be a whole number of at least 1; it is "0"; LIVE_POLL_MS must be a whole number of at least 10; it is "soon"/,
    );
    expect(() => liveSettingsFrom({ LIVE_HEARTBEAT_MS: '60000' }, { proxyTimeoutMs: 60_000 })).toThrow(/must be under the route table's proxy_timeout_s \(60 s\).*lower it/);
  });
});

describe('parseTopic', () => {
  it('reads thread and board topics and refuses anything else', () => {
    expect(parseTopic('thread:12')).toEqual({ key: 'thread:12', kind: 'thread', id: 12 });
    expect(parseTopic('board:general')).toEqual({ key: 'board:general', kind: 'board', slug: 'general' });
    expect(['thread:0', 'thread:012', 'thread:9007199254740992', 'thread:', 'board:', 'board:Big', 'user:1', ' thread:1'].map(parseTopic)).toEqual(Array(8).fill(undefined));
  });
});

describe('createLiveFeed on a real SQLite file', () => {
  let fixture: ReturnType<typeof createFixtureDb>;
  let db: ForumDb;
  let writer: Database.Database;
  let feed: LiveFeed;
  const changes = () => createChangeBus({ logger });
  const addPost = (thread: number, body: string): number =>
    Number(
      writer
        .prepare("INSERT INTO posts (thread_id, author_id, body, body_html, created_at) VALUES (?, 1, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))")
        .run(thread, body, `<p>${body}</p>`).lastInsertRowid,
    );
  const subscriber = () => {
    const got: [string, LivePost][] = [];
    return { got, deliver: (topic: string, post: LivePost) => void got.push([topic, post]) };
  };
  beforeEach(() => {
    fixture = createFixtureDb();
    db = openForumDb(fixture.file);
    writer = new Database(fixture.file);
  });
  afterEach(() => {
    feed?.stop();
    db.close();
    writer.close();
    fixture.cleanup();
  });

  it('delivers each new post once to its thread’s and board’s subscribers, however many notifications and scans', async () => {
    const bus = changes();
    feed = createLiveFeed({ queries: prepareLiveQueries(db), changes: bus, logger, pollMs: 60_000, replay: { maxPosts: 10, maxAgeMs: 0 } });
    const onThread = subscriber();
    const onBoard = subscriber();
    const onOther = subscriber();
    feed.subscribe(feed.resolve(parseTopic('thread:2')!)!, onThread);
    feed.subscribe(feed.resolve(parseTopic('board:general')!)!, onBoard);
    feed.subscribe(feed.resolve(parseTopic('thread:3')!)!, onOther);
    const id = addPost(2, 'new');
    bus.publish([{ kind: 'post', thread: 2, board: 'general' }]);
    bus.publish([{ kind: 'post', thread: 2, board: 'general' }]);
    await new Promise((r) => setImmediate(r));
    feed.scan();
    expect(onThread.got.map(([topic, post]) => [topic, post.id])).toEqual([['thread:2', id]]);
    expect(onBoard.got.map(([topic, post]) => [topic, post.id])).toEqual([['board:general', id]]);
    expect(onOther.got).toEqual([]);
    expect(JSON.parse(onThread.got[0]![1].json)).toEqual({
      id,
      thread_id: 2,
      author: { id: 1, username: 'alice' },
      body: 'new',
      body_html: '<p>new</p>',
      created_at: expect.any(String),
    });
  });

  it('finds a post whose notification never came on its next poll', async () => {
    feed = createLiveFeed({ queries: prepareLiveQueries(db), changes: changes(), logger, pollMs: 20, replay: { maxPosts: 10, maxAgeMs: 0 } });
    const onThread = subscriber();
    feed.subscribe(feed.resolve(parseTopic('thread:3')!)!, onThread);
    const id = addPost(3, 'unannounced');
    const deadline = Date.now() + 5_000;
    while (onThread.got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(onThread.got.map(([, post]) => post.id)).toEqual([id]);
  });

  it('replays what a subscriber missed after its id, or says not_recovered past the limit or the age', () => {
    feed = createLiveFeed({ queries: prepareLiveQueries(db), changes: changes(), logger, pollMs: 60_000, replay: { maxPosts: 2, maxAgeMs: 0 } });
    const topic = feed.resolve(parseTopic('thread:2')!)!;
    const [a, b] = [addPost(2, 'a'), addPost(2, 'b')];
    expect(feed.subscribe(topic, subscriber(), a - 1).missed).toEqual([expect.objectContaining({ id: a }), expect.objectContaining({ id: b })]);
    // After the thread's first post (121): its second (122), a and b: three, one more than the limit.
    expect(feed.subscribe(topic, subscriber(), 121)).toEqual({ last: b, missed: 'not_recovered' });
    const old = createLiveFeed({ queries: prepareLiveQueries(db), changes: changes(), logger, pollMs: 60_000, replay: { maxPosts: 100, maxAgeMs: 60_000 } });
    // The fixture's posts are from January 2026: far older than a minute.
    expect(old.subscribe(topic, subscriber(), 0).missed).toBe('not_recovered');
    old.stop();
  });

  it('knows which threads and boards exist', () => {
    feed = createLiveFeed({ queries: prepareLiveQueries(db), changes: changes(), logger, pollMs: 60_000, replay: { maxPosts: 2, maxAgeMs: 0 } });
    expect(feed.resolve(parseTopic('thread:99')!)).toBeUndefined();
    expect(feed.resolve(parseTopic('board:nope')!)).toBeUndefined();
    expect(feed.resolve(parseTopic('board:meta')!)).toMatchObject({ boardId: 2 });
  });
});
