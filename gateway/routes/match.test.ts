import { describe, expect, it } from 'vitest';
import { parseRouteTable } from './index.ts';

const TABLE = `version: 1
backends:
  legacy: { url: "http://127.0.0.1:8090" }
  ts: { url: "http://127.0.0.1:8081" }
routes:
  - { path: /, mode: legacy }
  - { path: /api/v1/threads, mode: next, handler: threads }
  - { path: /api/v1/threads/archive, mode: legacy }
  - { path: /api/v1/boards, exact: true, mode: next, handler: boards }
  - { path: /static/, mode: next, handler: assets }
  - { path: /api/v1/threads/7, exact: true, mode: next, handler: seven }
`;

const table = parseRouteTable(TABLE, 'match.yaml', {});
const matched = (path: string): string => {
  const route = table.match(path);
  return `${route.exact ? '= ' : ''}${route.path}`;
};

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
