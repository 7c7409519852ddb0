import { describe, expect, it } from 'vitest';
import { createForumCache, forumCacheSettingsFrom, NO_FORUM_CACHE, tagsOfChange } from './cache.ts';

describe('tagsOfChange', () => {
  it('drops the thread, its board and the board list for a post or a new thread', () => {
    expect(tagsOfChange({ kind: 'post', thread: 12, board: 'general' })).toEqual(['thread:12', 'board:general', 'boards']);
    expect(tagsOfChange({ kind: 'thread', thread: 13, board: 'help' })).toEqual(['thread:13', 'board:help', 'boards']);
  });

  it('drops nothing for a registration and everything for a kind it does not know', () => {
    expect(tagsOfChange({ kind: 'user', user: 3 })).toEqual([]);
    expect(tagsOfChange({ kind: 'poll', id: 1 })).toEqual(['*']);
  });
});

describe('forumCacheSettingsFrom', () => {
  it('has defaults and reads FORUM_CACHE=0 as off', () => {
    expect(forumCacheSettingsFrom({})).toEqual({ enabled: true, ttlMs: 5_000, maxBytes: 64 * 1024 * 1024 });
    expect(forumCacheSettingsFrom({ FORUM_CACHE: '0' }).enabled).toBe(false);
  });

  it('refuses a bad value naming the variable and what it takes', () => {
    expect(() => forumCacheSettingsFrom({ FORUM_CACHE: 'yes' })).toThrow(/FORUM_CACHE must be 1 .* or 0/);
    expect(() => forumCacheSettingsFrom({ FORUM_CACHE_TTL_MS: '1.5' })).toThrow(/FORUM_CACHE_TTL_MS must be a whole number, at least 1; it is "1.5"/);
  });
});

describe('ForumCache.reuse', () => {
  it('computes a fragment once, until a change touches one of its tags', () => {
    const cache = createForumCache({ enabled: true, ttlMs: 60_000, maxBytes: 1_000_000 });
    let computed = 0;
    const posts = () =>
      cache.reuse(
        'thread-posts 1',
        ['thread:1'],
        (html: string) => html.length,
        () => `posts #${++computed}`,
      );
    expect([posts(), posts()]).toEqual(['posts #1', 'posts #1']);
    cache.apply([{ kind: 'post', thread: 2, board: 'b' }]);
    expect(posts()).toBe('posts #1');
    cache.apply([{ kind: 'post', thread: 1, board: 'b' }]);
    expect(posts()).toBe('posts #2');
  });

  it('computes every time when the cache is off', () => {
    let computed = 0;
    NO_FORUM_CACHE.reuse(
      'k',
      [],
      () => 1,
      () => ++computed,
    );
    expect(
      NO_FORUM_CACHE.reuse(
        'k',
        [],
        () => 1,
        () => ++computed,
      ),
    ).toBe(2);
  });
});
