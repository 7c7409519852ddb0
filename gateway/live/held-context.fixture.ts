/**
 * Run by held-stream.test.ts in a process of its own (node --expose-gc): a Hono app with the access log
 * holds one event stream open, and prints whether the request's Hono context was collected while the
 * answer stayed open, then the access line once the client has left. (Inside a vitest worker something
 * of the runner keeps contexts reachable, so the check needs a plain Node process.)
 */
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { serve } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { pino } from 'pino';
import { accessLog } from '../server/access-log.ts';
import type { ServerEnv } from '../server/env.ts';

const exposed = (globalThis as { gc?: () => void }).gc;
if (!exposed) throw new Error('run with node --expose-gc');
const gc: () => void = exposed;
const logger = pino({ level: 'info' });
const opened: WeakRef<object>[] = [];
const app = new Hono<ServerEnv>().use(accessLog({ logger })).get('/stream', (c) => {
  opened.push(new WeakRef(c));
  c.env.outgoing.writeHead(200, { 'Content-Type': 'text/event-stream' });
  c.env.outgoing.write(': connected\n\n');
  return RESPONSE_ALREADY_SENT;
});
async function check(port: number): Promise<void> {
  const client = connect(port, '127.0.0.1', () => client.write('GET /stream HTTP/1.1\r\nHost: forum.test\r\n\r\n'));
  await new Promise((resolve) => client.once('data', resolve));
  let collected = false;
  // A WeakRef holds its target until the job that made it ends: collect from later turns.
  for (let i = 0; i < 20 && !collected; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    gc();
    collected = opened[0]!.deref() === undefined;
  }
  console.log(JSON.stringify({ event: 'held_context', collected }));
  client.destroy();
  setTimeout(() => server.close(), 200);
}
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => void check(info.port)) as Server;
