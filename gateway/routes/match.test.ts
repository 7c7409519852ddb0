import { describe, expect, it } from 'vitest';
import { parseRouteTable } from './index.ts';

const HEAD = `version: 1
backends:
  legacy: { url: "http://127.0.0.1:8090" }
  ts: { url: "http://127.0.0.1:8081" }
routes:
  - { path: /, mode: legacy }
`;

const TABLE = `${HEAD}  - { path: /api/v1/threads, mode: next, handler: threads }
  - { path: /api/v1/threads/archive, mode: legacy }
  - { path: /api/v1/boards, exact: true, mode: next, handler: boards }
  - { path: /static/, mode: next, handler: assets }
  - { path: /api/v1/threads/7, exact: true, mode: next, handler: seven }
`;

/** The route a table picks for a path, written `= /path` when exact. */
function matcherOf(text: string): (path: string) => string {
  const table = parseRouteTable(text, 'match.yaml', {});
  return (path) => {
    const route = table.match(path);
    return `${route.exact ? '= ' : ''}${route.path}`;
  };
}
const matched = matcherOf(TABLE);

describe('RouteTable.match', () => {
  it.each([
    ['/', '/'],
    ['/anything/else', '/'],
    ['/api/v1/threads', '/api/v1/threads'],
    ['/api/v1/threads/', '/api/v1/threads'],
    ['/api/v1/threads/12/posts', '/api/v1/threads'],
    ['/api/v1/threadsX', '/'],
    ['/api/v1/thread', '/'],
    ['/api/v1/threads/archive', '/api/v1/threads/archive'],
    ['/api/v1/threads/archive/2020', '/api/v1/threads/archive'],
    ['/api/v1/threads/archived', '/api/v1/threads'],
    ['/api/v1/boards', '= /api/v1/boards'],
    ['/api/v1/boards/', '/'],
    ['/api/v1/boards/general/threads', '/'],
    ['/static/', '/static/'],
    ['/static/app.css', '/static/'],
    ['/static', '/'],
    ['/api/v1/threads/7', '= /api/v1/threads/7'],
    ['/api/v1/threads/7/posts', '/api/v1/threads'],
    ['/API/v1/threads', '/'],
  ])('sends %s to the route %s', (path, expected) => {
    expect(matched(path)).toBe(expected);
  });

  // How fast a lookup is: bench/scenarios/route-lookup.ts (`npm run bench -- --only route-lookup`).
  it('sends a long path below a prefix to that prefix', () => {
    expect(matched('/api/v1/threads/12/posts/34/reactions/56/users')).toBe('/api/v1/threads');
  });
});

const PATTERNS = `${HEAD}  - { path: /api/v1/boards, mode: legacy }
  - { path: "/api/v1/boards/*/threads", exact: true, mode: next, handler: threads }
  - { path: "/api/v1/boards/*", exact: true, mode: next, handler: board }
  - { path: /api/v1/boards/general, exact: true, mode: legacy }
  - { path: "/api/v1/*/stats", mode: next, handler: stats }
  - { path: "/api/v1/boards/*/stats", mode: legacy }
  - { path: "/api/v1/boards/archive/*", mode: next, handler: archive }
  - { path: "/u/*/a.b+(c)", exact: true, mode: next, handler: chars }
  - { path: /u, mode: next, handler: users }
`;

describe('RouteTable.match with segment patterns', () => {
  const patterns = parseRouteTable(PATTERNS, 'patterns.yaml', {});
  const matchedIn = matcherOf(PATTERNS);

  it.each([
    // One segment per '*': never empty, never two, never across '/'.
    ['/api/v1/boards/general/threads', '= /api/v1/boards/*/threads'],
    ['/api/v1/boards/x.y~z/threads', '= /api/v1/boards/*/threads'],
    ['/api/v1/boards/a/b/threads', '/api/v1/boards'],
    ['/api/v1/boards/threads', '= /api/v1/boards/*'],
    ['/api/v1/boards/general/threads/', '/api/v1/boards'],
    ['/api/v1/boards/general/threads/7', '/api/v1/boards'],
    ['/api/v1/boards/x', '= /api/v1/boards/*'],
    ['/api/v1/boards/x/', '/api/v1/boards'],
    ['/api/v1/boards/', '/api/v1/boards'],
    ['/api/v1/boards', '/api/v1/boards'],
    // Exact routes win over patterns, patterns over prefixes.
    ['/api/v1/boards/general', '= /api/v1/boards/general'],
    // A pattern without exact covers what is below it; among patterns, longer first, then more literals.
    ['/api/v1/threads/stats', '/api/v1/*/stats'],
    ['/api/v1/threads/stats/today', '/api/v1/*/stats'],
    ['/api/v1/boards/stats', '= /api/v1/boards/*'],
    ['/api/v1/boards/x/stats', '/api/v1/boards/*/stats'],
    ['/api/v1/boards/x/stats/y', '/api/v1/boards/*/stats'],
    ['/api/v1/boards/archive/2020', '/api/v1/boards/archive/*'],
    ['/api/v1/boards/archive/stats', '/api/v1/boards/archive/*'],
    ['/api/v1/boards/archive/threads', '/api/v1/boards/archive/*'],
    ['/api/v1/boards/archive', '= /api/v1/boards/*'],
    // Literal segments are literal: regex characters in them match only themselves, case counts.
    ['/u/me/a.b+(c)', '= /u/*/a.b+(c)'],
    ['/u/me/aXb+(c)', '/u'],
    ['/u/me/a.bb(c)', '/u'],
    ['/API/v1/boards/x', '/'],
    // A decoded %0A is data, not the end of the path (PCRE's '$' would accept it before a final newline).
    ['/api/v1/boards/x/threads\n', '/api/v1/boards'],
    ['/api/v1/boards/x\n/threads', '= /api/v1/boards/*/threads'],
  ])('sends %j to the route %s', (path, expected) => {
    expect(matchedIn(path)).toBe(expected);
  });

  it('tries patterns in the documented order whatever the file order', () => {
    const reversed = PATTERNS.split('\n');
    const head = reversed.slice(0, 6);
    const routes = reversed.slice(6).filter(Boolean).reverse();
    const shuffled = parseRouteTable(`${[...head, ...routes].join('\n')}\n`, 'reversed.yaml', {});
    for (const path of ['/api/v1/boards/x/stats', '/api/v1/boards/archive/stats', '/api/v1/boards/stats', '/api/v1/threads/stats/x'])
      expect(shuffled.match(path).path).toBe(patterns.match(path).path);
  });
});
