/**
 * The page cache under a mixed load, through nginx, on a stack of its own (a copy of the seeded
 * database, since it writes): guest readers on `/`, `/b/<slug>`, `/t/<id>` and `/api/v1/threads/<id>`
 * (one load driver per URL, side by side), while a writer posts replies to that thread on legacy at a
 * fixed rate. Reported: the hit ratio of the TS server's response cache over the load (its
 * `GET /_internal/v1/cache` figures, before and after, summed over the workers), and for each reply the
 * delay from legacy's 201 to the first guest GET of the thread page through nginx that shows it.
 */
import { request } from 'node:http';
import { internalEnv } from '../../test/helpers/processes.ts';
import { NGINX, startLegacy, startTs } from '../../test/helpers/stack.ts';
import { check } from '../lib/checks.ts';
import { runLoad } from '../lib/load.ts';
import { sessionCookie } from '../lib/login.ts';
import { formatMs } from '../lib/report/format.ts';
import { canaryAsNextRoutes, copyOfForumDatabase, startFrontDoor, TS_WORKERS, TS_WORKERS_ENV } from '../lib/stack.ts';
import { median, percentile, spread } from '../lib/stats.ts';
import type { ConfigurationResult, LoadResult, Scenario } from '../lib/types.ts';

const WRITER = 'alice';
/** Replies per second the writer aims at: a modest, fixed rate, not a write benchmark. */
const WRITES_PER_SECOND = 10;
/** How often the thread page is fetched, after a reply, until it shows the reply. */
const POLL_INTERVAL_MS = 2;
/** Past this the page is called stale and the run fails: the cache's TTL (5 s by default) bounds it. */
const STALE_AFTER_MS = 15_000;

interface CacheFigures {
  readonly hits: number;
  readonly misses: number;
}

export const pageCache: Scenario = {
  name: 'page-cache',
  title: 'Page cache under mixed load',
  measuredAs:
    'through nginx, guest reads of /, /b/<slug>, /t/<id>, /api/v1/threads/<id> side by side while a writer posts 10 replies/s on legacy: hit ratio of the TS response cache (hits / (hits + misses), summed over workers), and delay from legacy’s 201 to the first guest GET of the thread page showing the reply (polled every 2 ms)',
  goal: 'reported',
  unavailable: () => (NGINX.ok ? null : NGINX.reason),
  async run(ctx) {
    const internal = await internalEnv();
    const db = await copyOfForumDatabase(ctx);
    const { INTERNAL_PORT: _port, ...legacyInternal } = internal;
    const legacy = await ctx.own(startLegacy(ctx.env({ FORUM_DB: db, ...legacyInternal })));
    // The board page is a canary route: here TS answers it for every guest, whose cache is measured.
    const ROUTES = canaryAsNextRoutes(ctx);
    const ts = await ctx.own(startTs({ ...ctx.env({ FORUM_DB: db }), ...internal, ...TS_WORKERS_ENV, ROUTES, LEGACY_PORT: String(legacy.port) }));
    const front = await ctx.own(startFrontDoor(ctx, { ...ctx.env({ FORUM_DB: db }), ROUTES, LEGACY_PORT: String(legacy.port), TS_PORT: String(ts.port) }, 'nginx'));
    const statsUrl = `${internal.STRANGLER_INTERNAL_URL}/_internal/v1/cache`;
    const token = internal.STRANGLER_INTERNAL_TOKEN!;

    const id = ctx.options.threadId;
    const thread = (await getJson(`${legacy.url}/api/v1/threads/${id}`)) as { thread: { board: string; post_count: number } };
    const paths = ['/', `/b/${encodeURIComponent(thread.thread.board)}`, `/t/${id}`, `/api/v1/threads/${id}`];
    for (const path of paths) await getOk(front.url + path);
    const cookie = await sessionCookie(legacy.url, WRITER);

    const connections = Math.max(1, Math.floor(ctx.options.connections / paths.length));
    const runs = paths.map((): LoadResult[] => []);
    const delays: number[] = [];
    let posts = thread.thread.post_count;
    const before = await cacheFiguresOfEveryWorker(statsUrl, token);
    for (let round = 1; round <= ctx.options.rounds; round++) {
      const end = Date.now() + ctx.options.seconds * 1000;
      const reads = Promise.all(paths.map((path) => runLoad(ctx.options.driver, front.url + path, { seconds: ctx.options.seconds, connections })));
      for (let write = 0; Date.now() < end; write++) {
        const due = Date.now() + 1000 / WRITES_PER_SECOND;
        const written = await postReply(`${legacy.url}/api/v1/threads/${id}/posts`, cookie, `cache bench round ${round} reply ${write}`);
        posts += 1;
        delays.push(await untilShown(`${front.url}/t/${id}`, `${posts} posts ·`, written));
        await sleep(due - Date.now());
      }
      for (const [i, result] of (await reads).entries()) runs[i]!.push(result);
      ctx.log(`  round ${round}/${ctx.options.rounds}: ${delays.length} replies so far, reads ${(await reads).map((r) => r.rps.toFixed(0)).join(' / ')} rps`);
    }
    const after = await cacheFiguresOfEveryWorker(statsUrl, token);

    const hits = after.hits - before.hits;
    const misses = after.misses - before.misses;
    if (hits + misses === 0) throw new Error('the TS server counted no cache hit or miss during the load: is its page cache on (FORUM_CACHE)?');
    const ratio = hits / (hits + misses);
    const sorted = [...delays].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    const seconds = ctx.options.rounds * ctx.options.seconds;
    return {
      configurations: paths.map((path, i) => summarize(`read ${path}`, `guest GET ${path} through nginx, while replies are written`, front.url + path, connections, runs[i]!)),
      checks: [
        check('response cache hit ratio under mixed load (hits / (hits + misses))', { median: ratio, min: ratio, max: ratio }, '', null),
        check(`invalidation delay p50, legacy 201 → fresh thread page via nginx (${delays.length} writes)`, spread([p50]), 'ms', null),
        check(`invalidation delay p99, legacy 201 → fresh thread page via nginx (${delays.length} writes)`, spread([p99]), 'ms', null),
      ],
      facts: {
        hits,
        misses,
        writes: delays.length,
        writesPerSecond: Number((delays.length / seconds).toFixed(1)),
        pollIntervalMs: POLL_INTERVAL_MS,
        tsWorkers: TS_WORKERS,
        connectionsPerReader: connections,
      },
      notes: [
        `hit ratio ${(ratio * 100).toFixed(1)}% (${hits} hits, ${misses} misses over ${TS_WORKERS} workers); invalidation delay p50 ${formatMs(p50)}, p99 ${formatMs(p99)}, max ${formatMs(sorted.at(-1)!)} over ${delays.length} replies`,
        `each reply drops the thread, its board and the home page in every worker (each keeps its own cache), so every write turns the next read of each URL in each worker into a miss; the delay includes up to one poll interval (${POLL_INTERVAL_MS} ms) and the poll's own round trip`,
      ],
    };
  },
};

/**
 * The response cache's hits and misses summed over the TS workers: each connection to the internal
 * listener is answered by one worker (it says which, `pid`), so ask on new connections until every
 * worker has answered.
 */
async function cacheFiguresOfEveryWorker(url: string, token: string): Promise<CacheFigures> {
  const byPid = new Map<number, CacheFigures>();
  for (let attempt = 0; byPid.size < TS_WORKERS; attempt++) {
    if (attempt >= TS_WORKERS * 50) throw new Error(`only ${byPid.size} of ${TS_WORKERS} TS workers answered ${url} on ${attempt} new connections`);
    const answer = JSON.parse(await getOnNewConnection(url, token)) as { pid: number; caches: { responses: CacheFigures } };
    byPid.set(answer.pid, answer.caches.responses);
  }
  return [...byPid.values()].reduce((sum, one) => ({ hits: sum.hits + one.hits, misses: sum.misses + one.misses }), { hits: 0, misses: 0 });
}

function getOnNewConnection(url: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { authorization: `Bearer ${token}`, connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${url} answered ${res.statusCode}: ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Post one reply on legacy; the time legacy's 201 arrived. */
async function postReply(url: string, cookie: string, body: string): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ body }) });
  const at = performance.now();
  if (res.status !== 201) throw new Error(`POST ${url} answered ${res.status}, expected 201: ${await res.text()}`);
  await res.arrayBuffer();
  return at;
}

/** Milliseconds from `since` until a guest GET of `url` shows `marker`. */
async function untilShown(url: string, marker: string, since: number): Promise<number> {
  for (;;) {
    const text = await (await fetch(url)).text();
    const now = performance.now();
    if (text.includes(marker)) return now - since;
    if (now - since > STALE_AFTER_MS)
      throw new Error(`GET ${url} still did not show "${marker}" ${STALE_AFTER_MS} ms after the write: the cache served a stale page past its bound`);
    await sleep(POLL_INTERVAL_MS);
  }
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

async function getOk(url: string): Promise<void> {
  const res = await fetch(url);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}; every page read under load must answer 200`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function summarize(name: string, label: string, url: string, connections: number, runs: readonly LoadResult[]): ConfigurationResult {
  return {
    name,
    label,
    role: 'measured',
    url,
    connections,
    runs,
    rps: spread(runs.map((run) => run.rps)),
    p50Ms: median(runs.map((run) => run.p50Ms)),
    p99Ms: median(runs.map((run) => run.p99Ms)),
    errors: runs.reduce((sum, run) => sum + run.socketErrors + run.non2xx, 0),
  };
}
