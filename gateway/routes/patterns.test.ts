import { describe, expect, it } from 'vitest';
import { normalizeTarget } from './normalize.ts';
import { comparePatterns, forwardTargetFor, isPattern, patternProblem, patternRegex } from './patterns.ts';
import type { Route } from './types.ts';
import { TRAFFIC_DEFAULTS } from './traffic-keys.ts';

const route = (path: string, exact = false, index = 0): Route => ({
  index,
  line: index + 1,
  path,
  exact,
  mode: 'next',
  backend: 'ts',
  handler: 'h',
  methods: null,
  ...TRAFFIC_DEFAULTS,
});

describe('patternRegex', () => {
  it('compiles a pattern to the same regex for the matcher and for nginx, but for the end anchor', () => {
    expect(patternRegex('/api/v1/boards/*/threads', true, 'js')).toBe('^/api/v1/boards/[^/]+/threads$');
    expect(patternRegex('/api/v1/boards/*/threads', true, 'pcre')).toBe(String.raw`^/api/v1/boards/[^/]+/threads\z`);
    expect(patternRegex('/a/*', false, 'pcre')).toBe(String.raw`^/a/[^/]+(?:/|\z)`);
  });

  it('escapes the regex characters a route path may hold', () => {
    expect(patternRegex("/v1.2/*/a+b/(x)/k=v/@me/it's", true, 'js')).toBe(String.raw`^/v1\.2/[^/]+/a\+b/\(x\)/k=v/@me/it's$`);
  });
});

describe('patternProblem', () => {
  it.each([
    ['/a/**', "uses '**'", "write '/a/*'"],
    ['/a/**/b', "uses '**'", "write '/a/*/b'"],
    ['/a*', "'*' inside the segment 'a*'", 'own segment'],
    ['/a/b*c/d', "'*' inside the segment 'b*c'", 'own segment'],
    ['/a/*/', "ends with '/'", "write '/a/*'"],
    ['/*', 'no literal segment', 'default route /'],
    ['/*/*', 'no literal segment', 'at least one literal segment'],
  ])('refuses %s, saying what is wrong and how to write it', (path, message, fix) => {
    const problem = patternProblem(path);
    expect(problem?.message).toContain(message);
    expect(problem?.fix).toContain(fix);
  });

  it('accepts patterns and paths without a *', () => {
    for (const path of ['/a/*', '/*/feed', '/a/*/b/*', '/a/b']) expect(patternProblem(path)).toBeNull();
    expect([isPattern('/a/*/b'), isPattern('/a/b')]).toEqual([true, false]);
  });
});

describe('comparePatterns', () => {
  const order = (...paths: (string | [string, boolean])[]): string[] =>
    paths
      .map((p, i) => (typeof p === 'string' ? route(p, false, i) : route(p[0], p[1], i)))
      .sort(comparePatterns)
      .map((r) => `${r.exact ? '= ' : ''}${r.path}`);

  it('puts longer patterns first, then more literal segments, then a literal before a * at the first difference', () => {
    expect(order('/a/*', '/a/*/*/*', '/a/b/*', '/*/b/c', '/a/*/c', '/a/*/*')).toEqual(['/a/*/*/*', '/a/b/*', '/a/*/c', '/*/b/c', '/a/*/*', '/a/*']);
  });

  it('puts the exact form of a pattern before the one that also covers what is below it, whatever the file order', () => {
    expect(order('/a/*', ['/a/*', true])).toEqual(['= /a/*', '/a/*']);
  });
});

describe('forwardTargetFor', () => {
  const ok = (target: string) => {
    const normalized = normalizeTarget(target);
    if (!normalized.ok) throw new Error(normalized.reason);
    return normalized;
  };

  it('forwards a prefix route as the target normalizes, and a pattern route re-escaped as nginx rewrites it', () => {
    expect(forwardTargetFor(route('/a'), ok('/a/{x}/./b?q=1'))).toBe('/a/{x}/b?q=1');
    expect(forwardTargetFor(route('/a/*'), ok('/a/{x}/./b?q=1'))).toBe('/a/%7Bx%7D/b?q=1');
    expect(forwardTargetFor(route('/a/*'), ok('/a/%7Bx%7D/b'))).toBe('/a/%7Bx%7D/b');
  });

  it('forwards a target with an escaped reserved character as sent, for patterns too', () => {
    expect(forwardTargetFor(route('/a/*'), ok('/a/x/b%2Fc?y'))).toBe('/a/x/b%2Fc?y');
  });
});
