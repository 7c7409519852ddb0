/**
 * The Node edge against nginx as the front door, both in front of the same TS server, on the thread
 * endpoint: what a machine without nginx gives up.
 */
import { NGINX } from '../../test/helpers/stack.ts';
import { atLeast, throughputRatio } from '../lib/checks.ts';
import { measureInterleaved } from '../lib/measure.ts';
import { frontDoorAlone, sharedStackEnv, startFrontDoor, threadPath } from '../lib/stack.ts';
import type { Scenario } from '../lib/types.ts';

export const nodeEdge: Scenario = {
  name: 'node-edge',
  title: 'Node edge',
  measuredAs: 'edge / nginx throughput, same TS backend',
  goal: '≥ 0.5×',
  unavailable: () => (NGINX.ok ? null : `the edge is compared with nginx, and ${NGINX.reason}`),
  async run(ctx) {
    const env = await sharedStackEnv(ctx);
    const edge = await ctx.own(startFrontDoor(ctx, env, 'edge'));
    const nginx = await ctx.own(startFrontDoor(ctx, env, 'nginx'));
    const path = threadPath(ctx);
    const configurations = await measureInterleaved(ctx, [
      { name: 'edge', label: 'TS through the edge', url: edge.url + path },
      { name: 'nginx', label: 'TS through nginx', url: nginx.url + path },
      frontDoorAlone('edge-alone', 'edge alone (its own 404)', edge),
      frontDoorAlone('nginx-alone', 'nginx alone (its own 404)', nginx),
    ]);
    const [viaEdge, viaNginx] = configurations;
    return {
      configurations,
      checks: [throughputRatio('edge / nginx throughput', viaEdge!, viaNginx!, atLeast(0.5))],
      facts: { path },
    };
  },
};
