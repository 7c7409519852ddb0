/**
 * The servers the live benchmark holds connections on, each started with its file-descriptor limit
 * raised (see {@link raisedLimitCommand}) and measured through its process id: the forum's TS server
 * (one process, no cluster, so its /proc figures are the server's), legacy's threaded server, and the
 * stand-in (bench/fixtures/live-standin.ts) for a feed the TS server does not serve yet.
 *
 * @example
 * const ts = await ctx.own(startLiveTs(env));
 * const feed = await tsFeed(ts, threadId);   // { sse: true, ws: false, ... }: what the TS server itself serves
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { loadRouteTable } from '../../../gateway/routes/index.ts';
import { FORUM_SERVICES, PYTHON, ROOT, spawnServer, TEST_INTERNAL_TOKEN, type RunningProcess } from '../../../test/helpers/processes.ts';
import { raisedLimitCommand } from './proc.ts';
import type { LiveKind } from './protocol.ts';

export const SSE_PATH = (thread: number): string => `/live/t/${thread}`;
export const WS_PATH = '/api/v2/live';
export const WS_TOPIC = (thread: number): string => `thread:${thread}`;

/** A server with the process id its /proc figures are read from. */
export interface LiveServer extends RunningProcess {
  readonly pid: number;
}

const withPid = (server: RunningProcess): LiveServer => {
  if (server.child.pid === undefined) throw new Error(`${server.name} has no process id`);
  return { ...server, pid: server.child.pid, stop: () => server.stop() };
};

const start = async (name: string, command: string, args: readonly string[], env: Record<string, string>): Promise<LiveServer> => {
  const [sh, shArgs] = raisedLimitCommand(command, args);
  return withPid(await spawnServer({ name, command: sh, args: shArgs, env }));
};

const GC_ON_SIGNAL = fileURLToPath(new URL('./gc-on-signal.mjs', import.meta.url));

/** Node flags that let {@link collectGarbage} run a full GC in the server (bench/lib/live/gc-on-signal.mjs). */
export const GC_FLAGS = ['--expose-gc', `--import=${GC_ON_SIGNAL}`] as const;

/** What a server reports after a full GC (bench/lib/live/gc-on-signal.mjs). */
export interface AfterGc {
  /** V8's heap in use, KiB: what the JavaScript objects still reachable take. */
  readonly heapUsedKiB: number;
  /** Memory of C++ objects bound to JavaScript ones (buffers), KiB. */
  readonly externalKiB: number;
}

/**
 * Run a full GC in a Node server started with {@link GC_FLAGS} and wait until it says it ran.
 *
 * @example
 * const ts = await startLiveTs(env, GC_FLAGS); const { heapUsedKiB } = await collectGarbage(ts); residentKiB(ts.pid);
 */
export async function collectGarbage(server: LiveServer, timeoutMs = 10_000): Promise<AfterGc> {
  const reports = (): string[] => server.output.filter((line) => line.includes('"bench_gc"'));
  const before = reports().length;
  process.kill(server.pid, 'SIGUSR2');
  const deadline = Date.now() + timeoutMs;
  while (reports().length === before) {
    if (Date.now() > deadline) throw new Error(`${server.name} did not report a garbage collection within ${timeoutMs} ms; was it started with GC_FLAGS?`);
    await sleep(20);
  }
  const report = JSON.parse(reports().at(-1)!) as { gc: boolean; heap_used: number; external: number };
  if (!report.gc) throw new Error(`${server.name} has no global gc(): start it with GC_FLAGS (--expose-gc)`);
  return { heapUsedKiB: report.heap_used / 1024, externalKiB: report.external / 1024 };
}

/** The forum's TS server on the environment given (database, internal listener, legacy's port), one process. */
export const startLiveTs = (env: Record<string, string>, nodeFlags: readonly string[] = []): Promise<LiveServer> =>
  start('ts (live)', process.execPath, [...nodeFlags, '--import', 'tsx', 'gateway/server/main.ts'], {
    TS_PORT: '0',
    INTERNAL_PORT: '0',
    STRANGLER_INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
    STRANGLER_SERVICES: FORUM_SERVICES,
    ...env,
    TS_WORKERS: '1',
  });

/** Legacy's threaded server (a thread per connection, each polling the database for its stream). */
export const startLiveLegacy = (env: Record<string, string>): Promise<LiveServer> =>
  start('legacy (live)', PYTHON, ['legacy-python/serve.py'], { LEGACY_PORT: '0', STRANGLER_INTERNAL_TOKEN: TEST_INTERNAL_TOKEN, ...env });

/** The stand-in feed: node:http and `ws`, nothing else (its `POST /_bench/post` stands for a commit). */
export const startStandIn = (env: Record<string, string>, nodeFlags: readonly string[] = []): Promise<LiveServer> =>
  start('live stand-in', process.execPath, [...nodeFlags, '--import', 'tsx', 'bench/fixtures/live-standin.ts'], env);

/** Which of the two feeds the TS server serves itself (routed to TS by routes.yaml, and answering as a feed). */
export async function tsFeed(ts: LiveServer, thread: number, routesFile = join(ROOT, 'routes.yaml')): Promise<Record<LiveKind, boolean>> {
  const table = loadRouteTable(routesFile, {});
  const routed = (path: string) => table.match(path).backend === 'ts';
  return {
    sse: routed(SSE_PATH(thread)) && (await answersAsFeed(ts.url, 'sse', SSE_PATH(thread))),
    ws: routed(WS_PATH) && (await answersAsFeed(ts.url, 'ws', WS_PATH)),
  };
}

/** One probe: an event stream (200, text/event-stream) or an upgrade (101) at `path`. */
function answersAsFeed(base: string, kind: LiveKind, path: string): Promise<boolean> {
  const headers: Record<string, string> =
    kind === 'sse'
      ? { accept: 'text/event-stream' }
      : { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
  return new Promise((resolve) => {
    const req = request(base + path, { headers, timeout: 5_000 });
    req.once('response', (res) => {
      resolve(res.statusCode === 200 && String(res.headers['content-type']).startsWith('text/event-stream'));
      res.destroy();
    });
    req.once('upgrade', (_res, socket) => {
      resolve(true);
      socket.destroy();
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}
