/**
 * The nginx locations that reproduce a route table's matching: `= /p` for an exact route and for the
 * path of a segment prefix, `/p/` for what is below a prefix, `/` for the default. Each location's
 * backend is whatever `table.match()` picks for it, so nginx and the Node edge cannot disagree.
 *
 * @example
 * buildLocations(table); // [{ match: '/', exact: false, backend: 'legacy' }, { match: '/api/v1/boards', exact: true, backend: 'ts' }, ...]
 */
import type { BackendName, RouteTable } from '../routes/types.ts';

export interface NginxLocation {
  /** The location's path as nginx matches it. */
  readonly match: string;
  /** true: `location = match`; false: a prefix location. */
  readonly exact: boolean;
  readonly backend: BackendName;
}

export function buildLocations(table: RouteTable): NginxLocation[] {
  const exact = new Set<string>();
  const prefix = new Set<string>();
  for (const route of table.routes) {
    if (route.exact || route.path.endsWith('/')) (route.exact ? exact : prefix).add(route.path);
    else {
      exact.add(route.path);
      prefix.add(`${route.path}/`);
    }
  }
  // nginx answers a request for '/p' with a 301 to '/p/' when a proxied location '/p/' or '= /p/' exists
  // and no location '= /p' does; an exact location for '/p' sends it wherever the table does instead.
  for (const path of [...prefix, ...exact]) if (path.length > 1 && path.endsWith('/')) exact.add(path.slice(0, -1));
  const locations: NginxLocation[] = [];
  // A prefix location serves what is below its path, not the path itself (an exact route may own that,
  // e.g. `/` exact next to the default `/`): ask the table about a path below it. NUL never reaches the
  // matcher from a request (the target is refused), so no exact or self route can name it.
  for (const path of [...prefix].sort()) locations.push({ match: path, exact: false, backend: table.match(`${path}\0`).backend });
  for (const path of [...exact].sort()) locations.push({ match: path, exact: true, backend: table.match(path).backend });
  return locations;
}
