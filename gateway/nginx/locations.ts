/**
 * The nginx locations that reproduce a route table's matching: `= /p` for an exact route and for the
 * path of a segment prefix, `/p/` for what is below a prefix, `/` for the default, and a regex location
 * per segment pattern. Each location's backend (and the lifecycle headers a door adds) come from the
 * route `table.match()` picks for the paths it serves, so nginx and the Node edge cannot disagree.
 *
 * Precedence as nginx gets there: an `=` location wins outright (an exact route, or a prefix's own path,
 * whose route the table picks with patterns counted); else the regex locations are tried in config
 * order, which is the table's pattern order, and the first match wins over every prefix location (none
 * is `^~`); else the longest prefix location, whose route is the longest prefix with patterns left out
 * (a path a pattern matches never reaches it). The server's `/_internal` regex comes before all of these.
 *
 * @example
 * buildLocations(table); // [{ match: '/', exact: false, backend: 'legacy', fallback: false }, { match: '/api/v1/boards', exact: true, backend: 'ts', fallback: true }, ...]
 */
import { doorRouteHeaders } from '../routes/lifecycle.ts';
import { buildMatcher } from '../routes/match.ts';
import { comparePatterns, isPattern, patternRegex } from '../routes/patterns.ts';
import type { AnswerHeaders, BackendName, Route, RouteTable } from '../routes/types.ts';

export interface NginxLocation {
  /** The location's path as nginx matches it, or its PCRE regex when `regex` is set. */
  readonly match: string;
  /** true: `location = match`; false: a prefix (or regex) location. */
  readonly exact: boolean;
  /** Set on the regex location of a segment pattern (`location ~ "match"`). */
  readonly regex?: true;
  readonly backend: BackendName;
  /** The path of the route the location serves, as the table names it (for the access log and the answered-by header). */
  readonly route: string;
  /** The route's lifecycle headers, when the front door adds them (see gateway/routes/lifecycle.ts). */
  readonly routeHeaders?: AnswerHeaders;
  /**
   * Whether legacy answers when the TS server cannot (refused, reset, silent before its head): a route
   * sent to TS with `fallback: true` (docs/traffic-modes.md, "Fallback").
   */
  readonly fallback: boolean;
}

export function buildLocations(table: RouteTable): NginxLocation[] {
  const exact = new Set<string>();
  const prefix = new Set<string>();
  const patterns: Route[] = [];
  for (const route of table.routes) {
    if (isPattern(route.path)) patterns.push(route);
    else if (route.exact || route.path.endsWith('/')) (route.exact ? exact : prefix).add(route.path);
    else {
      exact.add(route.path);
      prefix.add(`${route.path}/`);
    }
  }
  // nginx answers a request for '/p' with a 301 to '/p/' when a proxied location '/p/' or '= /p/' exists
  // and no location '= /p' does; an exact location for '/p' sends it wherever the table does instead.
  for (const path of [...prefix, ...exact]) if (path.length > 1 && path.endsWith('/')) exact.add(path.slice(0, -1));
  const location = (match: string, isExact: boolean, route: Route): NginxLocation => {
    const routeHeaders = doorRouteHeaders(route);
    return {
      match,
      exact: isExact,
      backend: route.backend,
      route: route.path,
      fallback: route.backend === 'ts' && route.fallback,
      ...(routeHeaders === undefined ? {} : { routeHeaders }),
    };
  };
  // A prefix location serves what is below its path, not the path itself (an exact route may own that,
  // e.g. `/` exact next to the default `/`) nor what a pattern matches (a regex location takes it): ask
  // the table without its patterns about a path below it. NUL never reaches the matcher from a request
  // (the target is refused), so no exact or self route can name it.
  const prefixOnly = buildMatcher(table.routes.filter((route) => !isPattern(route.path)));
  const locations: NginxLocation[] = [];
  for (const path of [...prefix].sort()) locations.push(location(path, false, prefixOnly(`${path}\0`)));
  for (const path of [...exact].sort()) locations.push(location(path, true, table.match(path)));
  for (const route of patterns.sort(comparePatterns)) locations.push({ ...location(patternRegex(route.path, route.exact, 'pcre'), false, route), regex: true });
  return locations;
}
