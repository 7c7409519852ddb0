/**
 * A front door's routing in one short hash: what nginx decides from a table (its locations with their
 * exactness and backend, the backends' addresses, the settings it is generated with). Two tables with
 * the same routing give the same nginx config but for its revision comment, so nginx need not reload
 * when only a mode changes (every listed route goes to the TS server whatever its mode), and an nginx
 * that serves an older revision with the live routing agrees with the live table.
 *
 * @example
 * frontDoorRouting(loadRouteTable('routes.yaml', process.env)); // 'a41c09e2'
 */
import { createHash } from 'node:crypto';
import type { RouteTable } from '../routes/types.ts';
import { buildLocations } from './locations.ts';

export function frontDoorRouting(table: RouteTable): string {
  const decided = {
    locations: buildLocations(table),
    backends: Object.values(table.backends).map(({ name, url }) => ({ name, url })),
    settings: table.settings,
  };
  return createHash('sha256').update(JSON.stringify(decided)).digest('hex').slice(0, 8);
}
