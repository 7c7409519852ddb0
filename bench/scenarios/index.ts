/**
 * Every benchmark scenario, in the order a run measures them. Adding one is one file in this folder
 * exporting a {@link Scenario} and one line here; a scenario whose feature has not landed is listed as
 * pending, with the reason, so the results say it was not measured instead of leaving it out.
 */
import type { PendingScenario, Scenario } from '../lib/types.ts';
import { honoTax } from './hono-tax.ts';
import { internalCall } from './internal-call.ts';
import { liveConnections } from './live-connections.ts';
import { liveSoak } from './live-soak.ts';
import { migratedEndpoint } from './migrated-endpoint.ts';
import { migratedPage } from './migrated-page.ts';
import { nginxHop } from './nginx-hop.ts';
import { nodeEdge } from './node-edge.ts';
import { pageCache } from './page-cache.ts';
import { pages } from './pages.ts';
import { routeFlip } from './route-flip.ts';
import { routeLookup } from './route-lookup.ts';
import { shadow } from './shadow.ts';
import { sqliteCrossProcess } from './sqlite-cross-process.ts';
import { tsProxy } from './ts-proxy.ts';

export const SCENARIOS: readonly (Scenario | PendingScenario)[] = [
  migratedEndpoint,
  migratedPage,
  pages,
  pageCache,
  nginxHop,
  nodeEdge,
  tsProxy,
  shadow,
  routeFlip,
  internalCall,
  sqliteCrossProcess,
  honoTax,
  routeLookup,
  liveConnections,
  liveSoak,
];

export const isPending = (scenario: Scenario | PendingScenario): scenario is PendingScenario => 'reason' in scenario;
