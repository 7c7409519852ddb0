/**
 * What a held SSE stream keeps: on the TS server as main.ts sets it up (node-server, the access log,
 * `openStream`), the opening request's Hono context (its variables, its HonoRequest) is garbage once the
 * head is written, while the stream goes on; its access line is still written, whole, when the client
 * leaves. (node-server itself keeps the small Fetch Request, to abort its signal when the client leaves.)
 */
import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promisify } from 'node:util';
import { ROOT } from '../../test/helpers/processes.ts';
import { until } from '../../test/live/helpers.ts';
import { createProxy } from '../proxy/index.ts';
import { parseRouteTable } from '../routes/index.ts';
import { createTsServer, STREAM_TAKEN } from '../server/index.ts';
import { ConventionalHeaderCase } from '../server/header-case.ts';
import { defineService, type ServiceEnv } from '../server/service.ts';
import { createLiveRegistry } from './registry.ts';
import { openSseStream, type SseStream } from './sse.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const run = promisify(execFile);

const registry = createLiveRegistry({ maxConnections: 10, heartbeatMs: 60_000 });
const held: SseStream[] = [];
const requests: { context: WeakRef<object> }[] = [];
const access: Record<string, unknown>[] = [];
const feed = new Hono<ServiceEnv>().get('/feed', (c) => {
  requests.push({ context: new WeakRef(c) });
  const sink = c.env.openStream!(200, { 'Content-Type': 'text/event-stream' });
  const stream = openSseStream({ registry, sink, maxBufferedBytes: 65_536, onClose: () => held.splice(held.indexOf(stream!), 1) });
  stream!.send(new TextEncoder().encode(': connected\n\n'));
  held.push(stream!);
  return STREAM_TAKEN;
});

let ts: Server;
let port: number;
beforeAll(async () => {
  // pino writes one JSON line per call to a destination's write().
  const logger = pino({ level: 'info' }, { write: (line: string) => void access.push(JSON.parse(line) as Record<string, unknown>) });
  const table = parseRouteTable(
    [
      'version: 1',
      'backends: { legacy: { url: "http://127.0.0.1:9" }, ts: { url: "http://127.0.0.1:8081" } }',
      'routes: [{ path: /, mode: legacy }, { path: /feed, mode: next, handler: feed, methods: [GET] }]',
    ].join('\n'),
    'held-stream-routes.yaml',
    {},
  );
  const server = createTsServer({ table, services: [defineService({ name: 'feed', app: feed })], proxy: createProxy({ logger }), logger, ServerResponse: ConventionalHeaderCase });
  await new Promise<void>((done) => {
    ts = serve({ fetch: server.app.fetch, port: 0, hostname: '127.0.0.1', serverOptions: { ServerResponse: ConventionalHeaderCase } }, (info) => {
      port = info.port;
      done();
    }) as Server;
  });
});
afterAll(async () => {
  registry.close();
  ts.closeAllConnections();
  await new Promise((done) => ts.close(done));
});

describe('a held SSE stream on the TS server', () => {
  it('lets go of the Hono context that opened it, goes on streaming, and logs its line at the end', async () => {
    let text = '';
    const client: Socket = connect(port, '127.0.0.1', () => client.write('GET /feed HTTP/1.1\r\nHost: forum.test\r\nX-Request-Id: held-1\r\n\r\n'));
    client.on('data', (data) => (text += data.toString()));
    try {
      await until(() => text.includes(': connected'), 'the stream to open');
      expect(requests).toHaveLength(1);
      // A WeakRef holds its target until the current job ends: collect from later turns.
      await until(() => {
        gc();
        return requests[0]!.context.deref() === undefined;
      }, 'the Hono context to be collected while the stream is held');
      held[0]!.send(new TextEncoder().encode('event: post\ndata: {}\n\n'));
      await until(() => text.includes('event: post'), 'an event after the request was collected');
      expect(access.filter((line) => line.msg === 'access')).toEqual([]);
    } finally {
      client.destroy();
    }
    await until(() => access.some((line) => line.msg === 'access'), 'the access line once the client left');
    expect(access.find((line) => line.msg === 'access')).toMatchObject({ request_id: 'held-1', method: 'GET', path: '/feed', route: '/feed', backend: 'ts', status: 200 });
    expect(held).toEqual([]);
  });

  it('lets the access log wait for the end of a stream without holding the request’s Hono context', async () => {
    // A process of its own: inside a vitest worker the runner keeps request contexts reachable.
    const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', 'gateway/live/held-context.fixture.ts'], { cwd: ROOT, timeout: 60_000 });
    const lines = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((line) => line.event === 'held_context')).toEqual({ event: 'held_context', collected: true });
    expect(lines.find((line) => line.msg === 'access')).toMatchObject({ method: 'GET', path: '/stream', status: 200 });
  });
});
