/**
 * What nginx in front of the TS server costs: the thread endpoint through nginx against the TS server
 * asked directly. Throughput with the run's connections; the added latency with one connection, so it
 * is the hop's own time and not queueing.
 */
import { NGINX } from '../../test/helpers/stack.ts';
import { addedP50, atLeast, atMost, throughputRatio } from '../lib/checks.ts';
import { measureInterleaved } from '../lib/measure.ts';
import { frontDoorAlone, sharedStackEnv, sharedTs, startFrontDoor, threadPath } from '../lib/stack.ts';
import type { Scenario } from '../lib/types.ts';

export const nginxHop: Scenario = {
  name: 'nginx-hop',
  title: 'nginx hop',
  measuredAs: 'TS through nginx / TS direct',
  goal: '≥ 0.8×, added p50 ≤ 0.2 ms',
  unavailable: () => (NGINX.ok ? null : NGINX.reason),
  async run(ctx) {
    const env = await sharedStackEnv(ctx);
    const ts = await sharedTs(ctx);
    const nginx = await ctx.own(startFrontDoor(ctx, env, 'nginx'));
    const path = threadPath(ctx);
    const configurations = await measureInterleaved(ctx, [
      { name: 'via-nginx', label: 'TS through nginx', url: nginx.url + path },
      { name: 'direct', label: 'TS direct', url: ts.url + path },
      { name: 'via-nginx-1', label: 'TS through nginx', url: nginx.url + path, connections: 1 },
      { name: 'direct-1', label: 'TS direct', url: ts.url + path, connections: 1 },
      frontDoorAlone('nginx-alone', 'nginx alone (its own 404)', nginx),
    ]);
    const [viaNginx, direct, viaNginxOne, directOne] = configurations;
    return {
      configurations,
      checks: [
        throughputRatio('TS through nginx / TS direct throughput', viaNginx!, direct!, atLeast(0.8)),
        addedP50('p50 added by nginx (1 connection)', viaNginxOne!, directOne!, atMost(0.2, 'ms')),
      ],
      facts: { path },
    };
  },
};
