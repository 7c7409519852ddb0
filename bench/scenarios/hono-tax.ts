/**
 * What Hono and its Node adapter cost over plain node:http: two tiny servers answering the same JSON
 * bytes (bench/fixtures/json-server.ts), asked directly. node:http alone is the ceiling.
 */
import { spawnServer } from '../../test/helpers/processes.ts';
import { atLeast, throughputRatio } from '../lib/checks.ts';
import { measureInterleaved } from '../lib/measure.ts';
import { assertSameAnswers } from '../lib/stack.ts';
import type { Scenario } from '../lib/types.ts';

const PATH = '/json';

export const honoTax: Scenario = {
  name: 'hono-tax',
  title: 'Hono adapter tax',
  measuredAs: 'Hono on @hono/node-server / plain node:http, same JSON bytes, direct',
  goal: '≥ 0.75×',
  async run(ctx) {
    const start = (kind: 'hono' | 'node') =>
      ctx.own(
        spawnServer({
          name: `json-server (${kind})`,
          command: process.execPath,
          args: ['--import', 'tsx', 'bench/fixtures/json-server.ts'],
          env: ctx.env({ BENCH_SERVER_KIND: kind }),
        }),
      );
    const hono = await start('hono');
    const node = await start('node');
    await assertSameAnswers(PATH, { hono: hono.url, 'node:http': node.url });
    const configurations = await measureInterleaved(ctx, [
      { name: 'hono', label: 'Hono on @hono/node-server', url: hono.url + PATH },
      { name: 'node-http', label: 'node:http alone', url: node.url + PATH, role: 'ceiling' },
    ]);
    const [honoRuns, nodeRuns] = configurations;
    return {
      configurations,
      checks: [throughputRatio('Hono / node:http throughput', honoRuns!, nodeRuns!, atLeast(0.75))],
      facts: { bodyBytes: Number((await fetch(node.url + PATH)).headers.get('content-length')) },
    };
  },
};
