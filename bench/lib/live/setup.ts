/**
 * What both live scenarios start from: a private copy of the seeded database, a legacy server that
 * writes the posts (after its commit it notifies the TS server, as the forum does), a signed-in writer,
 * the client processes, and a way to run something with a TS server up for exactly as long as it needs.
 *
 * @example
 * const live = await liveSetup(ctx);
 * await live.withTs(async (ts) => { const feeds = await tsFeed(ts, live.thread); ... });
 */
import { loadavg } from 'node:os';
import { cookieFor } from '../../../test/parity/harness.ts';
import { internalEnv } from '../../../test/helpers/processes.ts';
import type { BenchContext } from '../context.ts';
import { copyOfForumDatabase } from '../stack.ts';
import { startLiveClients, type LiveClients } from './clients.ts';
import { describeFdLimit, type FdLimit } from './proc.ts';
import type { LiveKind } from './protocol.ts';
import { startLiveLegacy, startLiveTs, tsFeed, type LiveServer } from './servers.ts';

/** Two client processes: one would spend the broadcast reading 10,000 sockets in a row on one core. */
export const CLIENT_PROCESSES = 2;
/** File descriptors a server needs besides its connections (database, listeners, pipes, modules). */
export const FD_HEADROOM = 200;
const WRITER = 'alice';

export interface LiveSetup {
  readonly thread: number;
  readonly fdLimit: FdLimit;
  /** Which feeds the TS server serves itself (see {@link tsFeed}). */
  readonly served: Record<LiveKind, boolean>;
  readonly clients: LiveClients;
  /** The legacy server that writes posts; it reaches the TS server's internal listener once one is up. */
  readonly writer: LiveServer;
  /** Environment of a legacy feed server on the same database and internal listener. */
  readonly legacyEnv: Record<string, string>;
  /** Run `fn` with a fresh TS server (one process, `nodeFlags` given to node) on the shared internal port; stopped after. */
  withTs<T>(fn: (ts: LiveServer) => Promise<T>, nodeFlags?: readonly string[]): Promise<T>;
  /** Post one reply to the thread on legacy; resolves on its 201 (after the commit). TS must be up (markdown and users live there). */
  postOnLegacy(): Promise<void>;
}

/** Start `start`, run `fn` with it, and stop it whatever happens. */
export async function withServer<T>(start: () => Promise<LiveServer>, fn: (server: LiveServer) => Promise<T>): Promise<T> {
  const server = await start();
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

/** The setup, started once per run and shared by both live scenarios (a TS start and a legacy start fewer). */
export const liveSetup = (ctx: BenchContext): Promise<LiveSetup> => ctx.shared('live', () => startLiveSetup(ctx));

async function startLiveSetup(ctx: BenchContext): Promise<LiveSetup & { stop(): Promise<void> }> {
  const thread = ctx.options.threadId;
  const db = await copyOfForumDatabase(ctx);
  const internal = await internalEnv();
  const { INTERNAL_PORT: _port, ...legacyInternal } = internal;
  // A legacy stream ends after FORUM_LIVE_MAX_SECONDS (300 s by default): longer than any measurement here.
  const legacyEnv = ctx.env({ FORUM_DB: db, FORUM_LIVE_MAX_SECONDS: '7200', ...legacyInternal });
  const writer = await startLiveLegacy(legacyEnv);
  const clients = await startLiveClients(CLIENT_PROCESSES).catch(async (err: unknown) => {
    await writer.stop();
    throw err;
  });
  const stop = async (): Promise<void> => {
    await clients.stop();
    await writer.stop();
  };
  try {
    const tsEnv = { ...ctx.env({ FORUM_DB: db }), ...internal, LEGACY_PORT: String(writer.port) };
    const withTs = <T>(fn: (ts: LiveServer) => Promise<T>, nodeFlags: readonly string[] = []): Promise<T> => withServer(() => startLiveTs(tsEnv, nodeFlags), fn);
    // Sessions are legacy's table: one login holds for every TS server started later.
    const [cookie, served] = await withTs(async (ts) => [(await cookieFor(writer.url, `forum_session={session:${WRITER}}`))!, await tsFeed(ts, thread)] as const);
    let replies = 0;
    const postOnLegacy = async (): Promise<void> => {
      const url = `${writer.url}/api/v1/threads/${thread}/posts`;
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ body: `live bench reply ${++replies}` }) });
      if (res.status !== 201) throw new Error(`POST ${url} answered ${res.status}, expected 201: ${await res.text()}`);
      await res.arrayBuffer();
    };
    return { thread, fdLimit: describeFdLimit(), served, clients, writer, legacyEnv, withTs, postOnLegacy, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The bullets every live section starts with: the command, the limits, the machine's load. */
export function liveMethod(setup: LiveSetup, loadBefore: readonly number[]): string[] {
  const args = process.argv.slice(2).join(' ');
  const overrides = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${value} `)
    .join('');
  const viaNpm = process.env.npm_lifecycle_event === 'bench';
  const load = (values: readonly number[]) => values.map((v) => v.toFixed(2)).join(', ');
  return [
    `command: \`${overrides}${viaNpm ? `npm run bench${args ? ` -- ${args}` : ''}` : `node --import tsx bench/run.ts ${args}`.trim()}\``,
    `file descriptors: \`ulimit -n\` was ${setup.fdLimit.soft} (hard limit ${setup.fdLimit.hard}); every server and client process was started with its soft limit raised to the hard limit (${setup.fdLimit.hard}), the most an unprivileged process may have`,
    `machine load (1, 5, 15 min) before: ${load(loadBefore)}; after: ${load(loadavg())} (2 cores shared with other work)`,
    `clients: ${CLIENT_PROCESSES} processes of raw sockets (bench/lib/live/client-process.ts), connections spread over loopback source addresses 127.0.0.2 to 127.0.0.${1 + 2 * CLIENT_PROCESSES}`,
  ];
}
