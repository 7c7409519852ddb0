/**
 * The route matcher, built once per table: exact routes first, then the longest prefix on a segment
 * boundary. A lookup is a few Map probes, one per '/' in the path, and allocates only those slices.
 *
 * @example
 * const match = buildMatcher(routes);
 * match('/api/v1/threads/7').path; // '/api/v1/threads'
 */
import type { Route } from './types.ts';

export function buildMatcher(routes: readonly Route[]): (normalizedPath: string) => Route {
  const exact = new Map<string, Route>();
  // A prefix route /p matches /p itself (`self`) and every path that starts with /p/ (`below`);
  // a route written /p/ only has the `below` part.
  const self = new Map<string, Route>();
  const below = new Map<string, Route>();
  for (const route of routes) {
    if (route.exact) exact.set(route.path, route);
    else if (route.path.endsWith('/')) below.set(route.path, route);
    else {
      self.set(route.path, route);
      below.set(`${route.path}/`, route);
    }
  }
  const fallback = below.get('/');
  if (fallback === undefined) throw new Error('a route table needs a default route /');

  return function match(normalizedPath: string): Route {
    const found = exact.get(normalizedPath) ?? self.get(normalizedPath);
    if (found !== undefined) return found;
    for (let slash = normalizedPath.lastIndexOf('/'); slash > 0; slash = normalizedPath.lastIndexOf('/', slash - 1)) {
      const route = below.get(normalizedPath.slice(0, slash + 1));
      if (route !== undefined) return route;
    }
    return fallback;
  };
}
