import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { cachedRoutes, cacheFront, cacheKey, createResponseCache, matchesEtag, type CachedAnswer } from './index.ts';

const answer = (body: string, tags: string[] = []): CachedAnswer => ({
  status: 200,
  headers: [['content-type', 'text/plain']],
  body: new TextEncoder().encode(body),
  etag: `"${body}"`,
  tags,
});

describe('createResponseCache', () => {
  it('drops an answer by any of its tags and keeps the others', () => {
    const cache = createResponseCache({ maxBytes: 1_000_000, ttlMs: 60_000 });
    cache.set('a', answer('a', ['thread:1', 'board:x']));
    cache.set('b', answer('b', ['thread:2']));
    cache.invalidate(['board:x']);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')?.etag).toBe('"b"');
    expect(cache.stats()).toMatchObject({ entries: 1, hits: 1, misses: 1, invalidated: 1 });
  });

  it('never serves an answer older than the TTL', () => {
    let clock = 0;
    const cache = createResponseCache({ maxBytes: 1_000_000, ttlMs: 100, now: () => clock });
    cache.set('a', answer('a'));
    clock = 99;
    expect(cache.get('a')).toBeDefined();
    clock = 100;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.stats().entries).toBe(0);
  });

  it('evicts the least recently used answers once the bytes pass the bound, and refuses one larger than it', () => {
    const cache = createResponseCache({ maxBytes: 3 * (1_000 + 230), ttlMs: 60_000 });
    for (const key of ['a', 'b', 'c']) cache.set(key, answer(key.repeat(1_000)));
    cache.get('a');
    cache.set('d', answer('d'.repeat(1_000)));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.stats().bytes).toBeLessThanOrEqual(3 * 1_230);
    cache.set('huge', answer('x'.repeat(10_000)));
    expect(cache.get('huge')).toBeUndefined();
  });

  it('moves its generation on every invalidation', () => {
    const cache = createResponseCache({ maxBytes: 1_000, ttlMs: 1_000 });
    const before = cache.generation();
    cache.invalidate(['nothing-tagged']);
    expect(cache.generation()).not.toBe(before);
  });
});

describe('cacheKey and matchesEtag', () => {
  it('puts query parameters in name order, keeping the order of repeated names', () => {
    expect(cacheKey('/t/1', '?b=2&a=1&b=1')).toBe('/t/1?a=1&b=2&b=1');
    expect(cacheKey('/t/1', '')).toBe('/t/1');
    expect(cacheKey('/t/1', '?')).toBe('/t/1');
  });

  it('compares weakly, in a list, and matches *', () => {
    expect(matchesEtag('W/"x", "y"', '"x"')).toBe(true);
    expect(matchesEtag('*', '"x"')).toBe(true);
    expect(matchesEtag('"y"', '"x"')).toBe(false);
    expect(matchesEtag(undefined, '"x"')).toBe(false);
  });
});

describe('cachedRoutes', () => {
  const build = () => {
    const cache = createResponseCache({ maxBytes: 1_000_000, ttlMs: 60_000 });
    let renders = 0;
    let served = 0;
    const app = new Hono();
    app.use(
      '/page/:id',
      cachedRoutes('page', {
        cache,
        isPersonal: (c) => c.req.header('cookie')?.includes('session=') ?? false,
        tagsOf: (c) => [`page:${c.req.param('id')}`],
        onHitOf: () => () => served++,
      }),
    );
    app.get('/page/:id', (c) => {
      renders++;
      if (c.req.param('id') === 'missing') return c.text('no', 404);
      if (c.req.param('id') === 'cookie') return c.text('set', 200, { 'set-cookie': 'a=b' });
      return c.text(`page ${c.req.param('id')} for ${c.req.header('cookie') ?? 'guest'} #${renders}`, 200, { 'cache-control': 'no-store' });
    });
    const front = cacheFront({ cache, routes: ['page'], isPlainGuest: (headers) => headers.cookie === undefined });
    return { app, cache, front, renders: () => renders, served: () => served };
  };

  it("renders a guest's page once, then answers from the cache with no-cache, ETag and Vary", async () => {
    const { app, renders, served } = build();
    const first = await app.request('/page/1');
    const second = await app.request('/page/1');
    expect(await second.text()).toBe(await first.text());
    expect(renders()).toBe(1);
    expect(served()).toBe(1);
    expect(second.headers.get('cache-control')).toBe('no-cache');
    expect(second.headers.get('vary')).toBe('Cookie');
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
  });

  it('answers 304 with no body to a matching If-None-Match', async () => {
    const { app } = build();
    const etag = (await app.request('/page/1')).headers.get('etag')!;
    const res = await app.request('/page/1', { headers: { 'if-none-match': etag } });
    expect(res.status).toBe(304);
    expect(await res.text()).toBe('');
    expect(res.headers.get('etag')).toBe(etag);
  });

  it('never reads nor fills the cache for a request with a session, and marks its answer Vary: Cookie', async () => {
    const { app, renders } = build();
    await app.request('/page/1');
    const personal = await app.request('/page/1', { headers: { cookie: 'session=alice' } });
    expect(await personal.text()).toContain('for session=alice');
    expect(personal.headers.get('cache-control')).toBe('no-store');
    expect(personal.headers.get('vary')).toBe('Cookie');
    expect(personal.headers.get('etag')).toBeNull();
    const guest = await app.request('/page/1');
    expect(await guest.text()).toContain('for guest #1');
    expect(renders()).toBe(2);
  });

  it('stores neither an error nor an answer that sets a cookie', async () => {
    const { app, renders } = build();
    await app.request('/page/missing');
    await app.request('/page/missing');
    await app.request('/page/cookie');
    await app.request('/page/cookie');
    expect(renders()).toBe(4);
  });

  it('renders again after its tag is dropped', async () => {
    const { app, cache } = build();
    await app.request('/page/1');
    cache.invalidate(['page:1']);
    expect(await (await app.request('/page/1')).text()).toContain('#2');
  });

  it('finds before routing exactly what the route stored, for a plain guest, and counts the hit but not the miss', async () => {
    const { app, cache, front } = build();
    expect(front.lookup('/page/1', '?b=1&a=2', {})).toBeUndefined();
    await app.request('/page/1?a=2&b=1');
    const stored = front.lookup('/page/1', '?b=1&a=2', {});
    expect(new TextDecoder().decode(stored?.body)).toContain('page 1 for guest #1');
    expect(stored?.route).toBe('page');
    expect(front.lookup('/page/1', '?b=1&a=2', { cookie: 'x=1' })).toBeUndefined();
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 });
  });

  it("never serves another route's answers, before routing or in the middleware", async () => {
    const { app, cache } = build();
    await app.request('/page/1');
    const other = cacheFront({ cache, routes: ['other'], isPlainGuest: () => true });
    expect(other.lookup('/page/1', '', {})).toBeUndefined();
    cache.set('/page/2', { ...answer('from another route'), route: 'other' });
    expect(await (await app.request('/page/2')).text()).toContain('page 2 for guest');
  });
});
