import { describe, expect, it } from 'vitest';
import { parseRouteTable, RouteTableError } from './index.ts';
import { DEFAULT_COMPARE, DEFAULT_GATE, DEFAULT_SHADOW } from './traffic-keys.ts';

const HEAD = 'version: 1\nbackends:\n  legacy: { url: "http://127.0.0.1:8090" }\n  ts: { url: "http://127.0.0.1:8081" }\nroutes:\n  - { path: /, mode: legacy }\n';
const load = (route: string) => parseRouteTable(HEAD + route, 'routes.yaml', {});
const routeOf = (route: string) => load(route).routes[1]!;

function problemsOf(route: string): string[] {
  try {
    load(route);
  } catch (err) {
    expect(err).toBeInstanceOf(RouteTableError);
    return (err as Error).message.split('\n').slice(1);
  }
  throw new Error('the table was accepted');
}

describe('traffic keys', () => {
  it('gives every route the defaults when it writes none', () => {
    expect(routeOf('  - { path: /a, mode: next, handler: a }\n')).toMatchObject({
      percent: null,
      fallback: true,
      shadow: DEFAULT_SHADOW,
      compare: DEFAULT_COMPARE,
      gate: DEFAULT_GATE,
    });
  });

  it('reads shadow and canary modes with their keys', () => {
    const shadow = routeOf(
      '  - path: /a\n    mode: shadow\n    handler: a\n    shadow: { sample_percent: 25, max_concurrent: 2, max_body_kb: 64, unsafe: true, noise_percent: 0 }\n',
    );
    expect(shadow).toMatchObject({ mode: 'shadow', shadow: { samplePercent: 25, maxConcurrent: 2, maxBodyBytes: 65536, unsafe: true, noisePercent: 0 } });
    expect(routeOf('  - { path: /a, mode: canary, handler: a, percent: 12.5, fallback: false }\n')).toMatchObject({ mode: 'canary', percent: 12.5, fallback: false });
  });

  it('reads compare rules with owner, expiry and reason, header names in lower case', () => {
    const route = routeOf(
      '  - path: /a\n    mode: shadow\n    handler: a\n    compare:\n      headers: [Content-Type, ETag]\n      ignore:\n        - { pointer: /posts/*/views, owner: alice, expires: 2027-01-31, why: "written behind" }\n        - { header: Date, owner: bob }\n',
    );
    expect(route.compare).toEqual({
      headers: ['content-type', 'etag'],
      ignore: [
        { kind: 'pointer', target: '/posts/*/views', owner: 'alice', expiresAt: Date.UTC(2027, 0, 31) / 1000, why: 'written behind', line: 13 },
        { kind: 'header', target: 'date', owner: 'bob', expiresAt: null, why: null, line: 14 },
      ],
    });
  });

  it('reads the gate, keeping the defaults of what it leaves out', () => {
    const route = routeOf('  - path: /a\n    mode: canary\n    handler: a\n    percent: 5\n    gate: { min_comparisons: 50, max_p99_ratio: 2, demote_to: shadow }\n');
    expect(route.gate).toEqual({ ...DEFAULT_GATE, minComparisons: 50, maxP99Ratio: 2, demoteTo: 'shadow' });
  });

  it('needs a percent in canary mode and refuses one elsewhere', () => {
    expect(problemsOf('  - { path: /a, mode: canary, handler: a }\n')).toEqual([
      expect.stringMatching(/^routes\.yaml:7:5: a route in mode canary needs a percent\. Fix: add e\.g\. `percent: 10`/),
    ]);
    expect(problemsOf('  - { path: /a, mode: next, handler: a, percent: 10 }\n')).toEqual([
      expect.stringMatching(/percent only applies to a route in mode canary, and this one is in mode next\. Fix: remove `percent`/),
    ]);
    expect(problemsOf('  - { path: /a, mode: canary, handler: a, percent: 0 }\n')).toEqual([expect.stringMatching(/percent must be a number above 0 and at most 100/)]);
    expect(problemsOf('  - { path: /a, mode: canary, handler: a, percent: 101 }\n')).toHaveLength(1);
  });

  it('needs a handler in shadow and canary modes, as in next', () => {
    expect(problemsOf('  - { path: /a, mode: shadow }\n')).toEqual([expect.stringMatching(/a route in mode shadow needs a handler/)]);
  });

  it('refuses ignore rules without an owner, with both or neither target, or with a pointer to the whole body', () => {
    const problems = problemsOf(
      '  - path: /a\n    mode: shadow\n    handler: a\n    compare:\n      ignore:\n        - { pointer: /x }\n        - { pointer: /x, header: etag, owner: a }\n        - { owner: a }\n        - { pointer: "", owner: a }\n        - { pointer: /a~2b, owner: a }\n        - { header: "bad name", owner: a }\n        - { pointer: /x, owner: a, expires: soon }\n',
    );
    expect(problems).toEqual([
      expect.stringMatching(/the ignore rule has no owner\. Fix: add `owner: <name or team>`/),
      expect.stringMatching(/names both a pointer and a header/),
      expect.stringMatching(/names nothing to ignore/),
      expect.stringMatching(/"" is not a JSON pointer to a field.*the whole body cannot be ignored/),
      expect.stringMatching(/"\/a~2b" is not a JSON pointer/),
      expect.stringMatching(/"bad name" is not a header name/),
      expect.stringMatching(/expires is not a date.*Fix: write e\.g\. `expires: 2027-01-31`/),
    ]);
  });

  it('refuses out-of-range numbers, unknown keys and a bad demotion target, each with the default as fix', () => {
    const problems = problemsOf(
      '  - path: /a\n    mode: shadow\n    handler: a\n    fallback: legacy\n    shadow: { sample_percent: 150, max_concurrent: 0.5, sample_precent: 3 }\n    gate: { min_comparisons: -1, window_s: 10, demote_to: off }\n',
    );
    expect(problems).toEqual([
      expect.stringMatching(/fallback must be true or false/),
      expect.stringMatching(/unknown key 'sample_precent' in shadow\. Fix: did you mean 'sample_percent'\?/),
      expect.stringMatching(/sample_percent must be a number from 0 to 100\. Fix: write e\.g\. `sample_percent: 100` \(the default\)/),
      expect.stringMatching(/max_concurrent must be a whole number from 1 to 10000/),
      expect.stringMatching(/min_comparisons must be a whole number from 1/),
      expect.stringMatching(/window_s must be a whole number from 60/),
      expect.stringMatching(/demote_to "off" is not legacy or shadow/),
    ]);
  });

  it('refuses a block that is not a mapping', () => {
    expect(problemsOf('  - { path: /a, mode: shadow, handler: a, gate: strict }\n')).toEqual([expect.stringMatching(/gate must be a mapping\. Fix: write e\.g\./)]);
  });
});
