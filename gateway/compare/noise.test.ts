import { describe, expect, it } from 'vitest';
import { checkSuggestion, classifyAgainstNoise, compareAnswers, comparisonOutcome, noiseBetween, stablePaths, suggestIgnoreRules, type NoiseStats } from './index.ts';
import { answer, settings } from './test-helpers.ts';

const page = (generatedAt: number, views: number[], titles = ['a', 'b']) =>
  answer({ generated_at: generatedAt, posts: titles.map((title, i) => ({ id: i + 1, title, views: views[i] })), stats: { views: views[0], posts: 2 } });

// Two legacy answers to one request: the clock and the view counters moved, nothing else did.
const first = page(100, [5, 7]);
const second = page(101, [6, 7]);

function observed(): NoiseStats {
  const noise = noiseBetween(first, second, settings());
  return { checks: 1, noisyPaths: [...new Set(noise.map((d) => d.classKey))].map((classKey) => ({ classKey, count: 1 })), stablePaths: stablePaths(first, second, settings()) };
}

describe('noise', () => {
  it('is what differs between two legacy answers, with classes generalized', () => {
    expect(noiseBetween(first, second, settings()).map((d) => d.classKey)).toEqual(['body-json /generated_at', 'body-json /posts/*/views', 'body-json /stats/views']);
  });

  it('is seen stable where two legacy answers agree, with headers and status', () => {
    expect(stablePaths(first, second, settings())).toEqual([
      'body-json /posts/*/id',
      'body-json /posts/*/title',
      'body-json /posts/*/views',
      'body-json /stats/posts',
      'header cache-control',
      'header content-type',
      'header location',
      'status',
    ]);
  });

  it('splits a legacy-vs-TS comparison into real mismatches and noise', () => {
    const ts = page(205, [9, 9], ['a', 'WRONG']);
    const comparison = compareAnswers(first, ts, settings());
    const noisy = ['body-json /generated_at', 'body-json /posts/*/views', 'body-json /stats/views'];
    const { mismatches, noise } = classifyAgainstNoise(comparison.differences, noisy);
    expect(mismatches.map((d) => d.path)).toEqual(['/posts/1/title']);
    expect(noise.map((d) => d.path)).toEqual(['/generated_at', '/posts/0/views', '/posts/1/views', '/stats/views']);
    expect(comparisonOutcome(comparison, noisy)).toBe('mismatch');
    expect(comparisonOutcome(compareAnswers(first, page(300, [1, 2]), settings()), noisy)).toBe('noise');
    expect(comparisonOutcome(compareAnswers(first, first, settings()), noisy)).toBe('match');
  });

  it('covers what lies under a noisy pointer', () => {
    const { noise } = classifyAgainstNoise(compareAnswers(answer({ meta: { at: 1 } }), answer({ meta: { at: 2 } }), settings()).differences, ['body-json /meta']);
    expect(noise).toHaveLength(1);
  });
});

describe('suggested ignore rules', () => {
  it('are the narrowest rule for each noisy class', () => {
    expect(suggestIgnoreRules(observed()).map((r) => `${r.kind} ${r.target}`)).toEqual(['pointer /generated_at', 'pointer /posts/*/views', 'pointer /stats/views']);
  });

  it('refuse a rule that would also hide a field that did not change, naming it and the narrower rule', () => {
    const check = checkSuggestion({ kind: 'pointer', target: '/posts' }, observed());
    expect(check).toEqual({ ok: false, reason: expect.stringContaining('would also hide /posts/*/id') });
    expect(check.ok === false && check.reason).toContain('ignore only what changed: pointer /posts/*/views');
  });

  it('refuse a * that also covers a stable key', () => {
    const check = checkSuggestion({ kind: 'pointer', target: '/stats/*' }, observed());
    expect(check).toEqual({ ok: false, reason: expect.stringContaining('would also hide /stats/posts') });
  });

  it('accept a rule covering only noise, even when the same field was equal in some pairs', () => {
    expect(checkSuggestion({ kind: 'pointer', target: '/posts/*/views' }, observed())).toEqual({ ok: true });
  });

  it('refuse a rule for a field never seen changing, and any rule before noise was measured', () => {
    expect(checkSuggestion({ kind: 'pointer', target: '/posts/*/title' }, observed())).toEqual({ ok: false, reason: expect.stringContaining('not noise') });
    expect(checkSuggestion({ kind: 'header', target: 'Content-Type' }, observed())).toEqual({ ok: false, reason: expect.stringContaining('did not change') });
    expect(checkSuggestion({ kind: 'pointer', target: '/generated_at' }, { checks: 0, noisyPaths: [], stablePaths: [] })).toEqual({
      ok: false,
      reason: expect.stringContaining('no two legacy answers'),
    });
  });

  it('accept a header rule for a header seen changing', () => {
    const stats = { checks: 3, noisyPaths: [{ classKey: 'header etag', count: 3 }], stablePaths: ['status'] };
    expect(checkSuggestion({ kind: 'header', target: 'ETag' }, stats)).toEqual({ ok: true });
    expect(suggestIgnoreRules(stats)).toEqual([{ kind: 'header', target: 'etag', classKey: 'header etag', count: 3 }]);
  });
});
