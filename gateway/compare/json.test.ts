import { describe, expect, it } from 'vitest';
import { compareAnswers } from './index.ts';
import { answer, rule, settings } from './test-helpers.ts';

const paths = (legacy: object, ts: object, ignore = settings()): string[] => compareAnswers(answer(legacy), answer(ts), ignore).differences.map((d) => d.path);

describe('JSON bodies', () => {
  it('are equal when only the key order differs', () => {
    const result = compareAnswers(answer({ a: 1, b: { c: [1, 2], d: 'x' } }), answer({ b: { d: 'x', c: [1, 2] }, a: 1 }), settings());
    expect(result).toMatchObject({ equal: true, differences: [], omitted: 0 });
  });

  it('are equal when a number is written 1 in one and 1.0 or 1e0 in the other', () => {
    const legacy = { ...answer({}), body: Buffer.from('{"n":1,"m":[10]}') };
    const ts = { ...answer({}), body: Buffer.from('{"n":1.0,"m":[1e1]}') };
    expect(compareAnswers(legacy, ts, settings()).equal).toBe(true);
  });

  it('reports a nested changed value at its pointer, with both values', () => {
    const result = compareAnswers(
      answer({
        posts: [
          { id: 1, title: 'a' },
          { id: 2, title: 'b' },
        ],
      }),
      answer({
        posts: [
          { id: 1, title: 'a' },
          { id: 2, title: 'B' },
        ],
      }),
      settings(),
    );
    expect(result.equal).toBe(false);
    expect(result.differences).toEqual([{ kind: 'body-json', path: '/posts/1/title', classKey: 'body-json /posts/*/title', legacy: '"b"', ts: '"B"' }]);
  });

  it('reports every differing pointer, a missing key and an extra key at their paths', () => {
    expect(paths({ a: 1, b: 2, c: { d: 3 } }, { a: 2, c: { d: 3, e: 4 } })).toEqual(['/a', '/b', '/c/e']);
    const result = compareAnswers(answer({ b: 2 }), answer({}), settings());
    expect(result.differences[0]).toMatchObject({ path: '/b', legacy: '2', ts: '(absent)' });
  });

  it('reports a type change at its path without descending into it', () => {
    const result = compareAnswers(answer({ user: { id: 1 } }), answer({ user: null }), settings());
    expect(result.differences).toEqual([{ kind: 'body-json', path: '/user', classKey: 'body-json /user', legacy: 'object {"id":1}', ts: 'null null' }]);
    expect(paths({ n: 1 }, { n: '1' })).toEqual(['/n']);
  });

  it('compares arrays by position and reports the extra element', () => {
    expect(paths({ xs: [1, 2] }, { xs: [1, 2, 3] })).toEqual(['/xs/2']);
    expect(paths({ xs: [1, 2] }, { xs: [2, 1] })).toEqual(['/xs/0', '/xs/1']);
  });

  it('escapes ~ and / in pointers as RFC 6901 says', () => {
    expect(paths({ 'a/b': 1, 'c~d': 1 }, { 'a/b': 2, 'c~d': 2 })).toEqual(['/a~1b', '/c~0d']);
  });

  it('generalizes indices and id-like keys in the class key, so many records with one wrong field are one class', () => {
    const legacy = { posts: Array.from({ length: 500 }, (_, i) => ({ id: i, title: `t${i}` })), byId: { '17': { name: 'a' }, '9f2c4e1a7b3d': { name: 'b' } } };
    const ts = { posts: legacy.posts.map((p) => ({ ...p, title: 'wrong' })), byId: { '17': { name: 'x' }, '9f2c4e1a7b3d': { name: 'y' } } };
    const result = compareAnswers(answer(legacy), answer(ts), settings());
    expect(result.classes).toEqual([
      { classKey: 'body-json /posts/*/title', count: 500 },
      { classKey: 'body-json /byId/*/name', count: 2 },
    ]);
    expect(result.differences.filter((d) => d.classKey === 'body-json /posts/*/title')).toHaveLength(5);
    expect(result.omitted).toBe(495);
  });

  it('reports a body that is not JSON on one side as one difference at the document', () => {
    const legacy = answer({ a: 1 });
    const ts = { ...answer({}), body: Buffer.from('<html>oops') };
    expect(compareAnswers(legacy, ts, settings()).differences).toMatchObject([{ kind: 'body-json', path: '', classKey: 'body-json', legacy: 'JSON' }]);
  });
});

describe('ignore rules', () => {
  const legacy = answer({
    generated_at: 1,
    posts: [
      { id: 1, views: 5, title: 'a' },
      { id: 2, views: 7, title: 'b' },
    ],
  });
  const ts = answer({
    generated_at: 2,
    posts: [
      { id: 1, views: 6, title: 'a' },
      { id: 2, views: 8, title: 'B' },
    ],
  });

  it('hide exactly their pointer, a * matching any index', () => {
    const result = compareAnswers(legacy, ts, settings([rule('pointer', '/generated_at'), rule('pointer', '/posts/*/views')]));
    expect(result.differences.map((d) => d.path)).toEqual(['/posts/1/title']);
  });

  it('hide what lies under their pointer, and a header rule hides that header only', () => {
    const result = compareAnswers(
      answer({ meta: { at: 1, by: 'x' } }, { headers: { etag: '"1"', 'cache-control': 'no-store' } }),
      answer({ meta: { at: 2, by: 'y' } }, { headers: { etag: '"2"', 'cache-control': 'max-age=5' } }),
      settings([rule('pointer', '/meta'), rule('header', 'ETag')], ['etag', 'cache-control']),
    );
    expect(result.differences.map((d) => d.classKey)).toEqual(['header cache-control']);
  });

  it('stop hiding once expired, and the comparison names the expired rule', () => {
    const now = Date.parse('2027-02-01T00:00:00Z');
    const expired = rule('pointer', '/generated_at', Date.parse('2027-01-31T00:00:00Z') / 1000);
    const live = rule('pointer', '/posts/*/views', Date.parse('2027-03-01T00:00:00Z') / 1000);
    const result = compareAnswers(legacy, ts, settings([expired, live]), now);
    expect(result.differences.map((d) => d.path)).toEqual(['/generated_at', '/posts/1/title']);
    expect(result.expiredRules).toEqual([expired]);
    expect(compareAnswers(legacy, ts, settings([expired, live]), Date.parse('2027-01-01T00:00:00Z')).expiredRules).toEqual([]);
  });

  it('make two answers equal when every difference is ignored', () => {
    const result = compareAnswers(answer({ at: 1, xs: [1] }), answer({ at: 2, xs: [1] }), settings([rule('pointer', '/at')]));
    expect(result.equal).toBe(true);
  });
});

describe('status, headers and truncated bodies', () => {
  it('reports a status difference and a compared header difference, but not a header that is not compared', () => {
    const result = compareAnswers(
      answer({}, { status: 200, headers: { location: '/a', server: 'x' } }),
      answer({}, { status: 302, headers: { location: '/b', server: 'y' } }),
      settings(),
    );
    expect(result.differences).toEqual([
      { kind: 'status', path: '', classKey: 'status', legacy: '200', ts: '302' },
      { kind: 'header', path: 'location', classKey: 'header location', legacy: '/a', ts: '/b' },
    ]);
  });

  it('treats content-type spelling (case, spaces, quotes around the charset) as the same header', () => {
    const result = compareAnswers(answer({}, { type: 'application/json; charset=utf-8' }), answer({}, { type: 'Application/JSON;charset="UTF-8"' }), settings());
    expect(result.equal).toBe(true);
  });

  it('never compares a truncated body, and says so', () => {
    const result = compareAnswers(answer({ a: 1 }, { truncated: true }), answer({ a: 2 }), settings());
    expect(result).toMatchObject({ equal: true, tooLarge: true, differences: [] });
  });

  it('compares other bodies as bytes and reports the first differing offset', () => {
    const result = compareAnswers(answer('abcdef', { type: 'text/plain' }), answer('abcXef', { type: 'text/plain' }), settings());
    expect(result.differences).toMatchObject([{ kind: 'body-bytes', path: '3', classKey: 'body-bytes' }]);
    expect(result.differences[0]!.legacy).toContain('at byte 3: "def"');
  });
});

describe('bounded work', () => {
  it('lists at most 50 differences and counts the rest, for two 256 KiB documents that differ everywhere', () => {
    const doc = (salt: string): object => ({ rows: Array.from({ length: 4000 }, (_, i) => ({ [`f${i % 97}`]: `${salt}${i}`, n: i })) });
    const [a, b] = [answer(doc('a')), answer(doc('b'))];
    expect(a.body.length).toBeGreaterThan(64 * 1024);
    const result = compareAnswers(a, b, settings());
    expect(result.differences.length).toBeLessThanOrEqual(50);
    expect(result.differences.length + result.omitted).toBe(4000);
    expect(result.classes.reduce((n, c) => n + c.count, 0)).toBe(4000);
  });

  it('compares a document nested far deeper than the depth bound without overflowing the stack', () => {
    const deep = (leaf: number): string => '['.repeat(50_000) + leaf + ']'.repeat(50_000);
    const result = compareAnswers({ ...answer({}), body: Buffer.from(deep(1)) }, { ...answer({}), body: Buffer.from(deep(2)) }, settings());
    expect(result.equal).toBe(false);
    expect(result.differences).toHaveLength(1);
    expect(compareAnswers({ ...answer({}), body: Buffer.from(deep(1)) }, { ...answer({}), body: Buffer.from(deep(1) + ' ') }, settings()).equal).toBe(true);
  });
});

describe('compressed bodies', () => {
  it('compare by what they decode to, whichever side compresses', async () => {
    const { gzipSync, brotliCompressSync } = await import('node:zlib');
    const plain = answer({ a: 1, b: [1, 2] });
    const gz = { ...answer({}), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync('{"b":[1,2],"a":1}') };
    expect(compareAnswers(plain, gz, settings()).equal).toBe(true);
    const br = { ...gz, headers: { ...gz.headers, 'content-encoding': 'br' }, body: brotliCompressSync('{"b":[1,3],"a":1}') };
    expect(compareAnswers(plain, br, settings()).differences.map((d) => d.path)).toEqual(['/b/1']);
  });
});
