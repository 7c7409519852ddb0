/**
 * The pages users see most, through nginx: the guest home page (`/`) and thread page (`/t/<id>`)
 * answered by TS against legacy under gunicorn (the same pages sent back to legacy by the route table),
 * one request at a time and under load; and the thread page signed in against the same page for a guest.
 * The goals are those of a cached page. Whether the TS server caches is its own setting (FORUM_CACHE,
 * on by default where the page cache exists): the scenario asks the server, by the ETag a cached guest
 * answer carries, and says in every label which it measured. BENCH_FORUM_CACHE=0|1 sets it for the run.
 */
import { NGINX, startTs } from '../../test/helpers/stack.ts';
import { atLeast, atMost, check, p50Ratio, throughputRatio } from '../lib/checks.ts';
import { sessionCookie } from '../lib/login.ts';
import { measureInterleaved, type Target } from '../lib/measure.ts';
import { formatMs } from '../lib/report/format.ts';
import { assertSameAnswers, frontDoorAlone, sharedGunicorn, sharedLegacy, sharedStackEnv, startFrontDoor, TS_WORKERS_ENV, writeRoutes } from '../lib/stack.ts';
import { spread } from '../lib/stats.ts';
import type { ConfigurationResult, Scenario } from '../lib/types.ts';

// The page routes routes.yaml gives TS; without them the default route sends the pages to legacy.
const PAGE_ROUTES = ['/', '/b', '/t'];
const SIGNED_IN_USER = 'alice';
// What differs between two GETs of the same page: each GET of a thread page counts a view.
const sameViews = (html: string): string => html.replace(/\d+ views</g, 'N views<');

export const pages: Scenario = {
  name: 'pages',
  title: 'Guest and signed-in pages (home, thread)',
  measuredAs:
    'TS / legacy on gunicorn throughput through nginx, guest home and thread page; p50 at 1 connection; signed-in thread page p50 / guest p50; cached or not as the TS server runs (said in each label)',
  goal: 'cached: p50 ≤ 2 ms, ≥ 20× legacy (gunicorn); signed-in ≤ 2× guest p50',
  unavailable: () => (NGINX.ok ? null : NGINX.reason),
  async run(ctx) {
    const base = await sharedStackEnv(ctx);
    const setting = process.env.BENCH_FORUM_CACHE;
    // The shared TS server runs on the server's default; a setting for the run gets a TS server of its own.
    const tsPort =
      setting === undefined ? base.TS_PORT! : String((await ctx.own(startTs({ ...base, ...TS_WORKERS_ENV, FORUM_CACHE: setting, TS_PORT: '0', INTERNAL_PORT: '0' }))).port);
    const gunicorn = await sharedGunicorn(ctx);
    const pagesOnLegacy = writeRoutes(ctx, 'pages-on-legacy', (routes) => routes.filter((route) => !(PAGE_ROUTES.includes(route.path) && route.mode !== 'legacy')));
    const viaTs = await ctx.own(startFrontDoor(ctx, { ...base, TS_PORT: tsPort }, 'nginx'));
    const viaGunicorn = await ctx.own(startFrontDoor(ctx, { ...base, ROUTES: pagesOnLegacy, LEGACY_PORT: new URL(gunicorn.url).port }, 'nginx'));
    const thread = `/t/${ctx.options.threadId}`;
    for (const path of ['/', thread]) await assertSameAnswers(path, { TS: viaTs.url, 'legacy (gunicorn)': viaGunicorn.url }, sameViews);
    const cached = await isCached(viaTs.url);
    const state = cached ? 'cached' : 'uncached: no page cache in this server';
    const cookie = { cookie: await sessionCookie((await sharedLegacy(ctx)).url, SIGNED_IN_USER) };
    const signedIn = await fetch(viaTs.url + thread, { headers: cookie }).then((res) => res.text());
    if (!signedIn.includes(`<span class="who">${SIGNED_IN_USER}</span>`))
      throw new Error(`the thread page with ${SIGNED_IN_USER}'s session cookie is not signed in; the signed-in figure would measure a guest page`);

    const targets: Target[] = [
      { name: 'ts-home', label: `TS guest home page (${state}) through nginx`, url: viaTs.url + '/' },
      { name: 'legacy-home', label: `legacy guest home page, gunicorn ${gunicorn.workers} sync workers, through nginx`, url: viaGunicorn.url + '/' },
      { name: 'ts-thread', label: `TS guest thread page (${state}) through nginx`, url: viaTs.url + thread },
      { name: 'legacy-thread', label: `legacy guest thread page, gunicorn ${gunicorn.workers} sync workers, through nginx`, url: viaGunicorn.url + thread },
      { name: 'ts-home-1', label: `TS guest home page (${state}) through nginx`, url: viaTs.url + '/', connections: 1 },
      { name: 'ts-thread-1', label: `TS guest thread page (${state}) through nginx`, url: viaTs.url + thread, connections: 1 },
      { name: 'ts-thread-signed-in-1', label: `TS thread page signed in as ${SIGNED_IN_USER} through nginx`, url: viaTs.url + thread, connections: 1, headers: cookie },
      { name: 'legacy-thread-1', label: 'legacy guest thread page, gunicorn, through nginx', url: viaGunicorn.url + thread, connections: 1 },
      frontDoorAlone('nginx-alone', 'nginx alone (its own 404)', viaTs),
    ];
    const configurations = await measureInterleaved(ctx, targets);
    const [tsHome, legacyHome, tsThread, legacyThread, tsHomeOne, tsThreadOne, signedInOne, legacyThreadOne] = configurations;
    const kind = cached ? 'cached' : 'uncached';
    return {
      configurations,
      checks: [
        throughputRatio(`TS (${kind}) / legacy (gunicorn), guest home page`, tsHome!, legacyHome!, atLeast(20)),
        throughputRatio(`TS (${kind}) / legacy (gunicorn), guest thread page`, tsThread!, legacyThread!, atLeast(20)),
        p50OneConnection(`p50 guest home page, TS ${kind} (1 connection)`, tsHomeOne!),
        p50OneConnection(`p50 guest thread page, TS ${kind} (1 connection)`, tsThreadOne!),
        p50Ratio('signed-in thread page p50 / guest p50 (1 connection)', signedInOne!, tsThreadOne!, atMost(2)),
      ],
      facts: { thread, cached: String(cached), frontDoor: 'nginx', gunicornWorkers: gunicorn.workers },
      notes: [
        `one request at a time (p50, 1 connection): TS guest thread page ${formatMs(tsThreadOne!.p50Ms)}, signed in ${formatMs(signedInOne!.p50Ms)}, legacy under gunicorn ${formatMs(legacyThreadOne!.p50Ms)}`,
        cached
          ? 'the TS server cached guest pages (its answers carry an ETag)'
          : 'the TS server did not cache (no ETag on a guest page): the 2 ms and 20× goals are those of the cached page, measured here on every render',
      ],
    };
  },
};

/** Whether the TS server caches guest pages: a cached guest answer carries an ETag. */
async function isCached(base: string): Promise<boolean> {
  await fetch(base + '/').then((res) => res.arrayBuffer());
  const res = await fetch(base + '/');
  await res.arrayBuffer();
  return res.headers.has('etag');
}

const p50OneConnection = (label: string, run: ConfigurationResult) => check(label, spread(run.runs.map((r) => r.p50Ms)), 'ms', atMost(2, 'ms'));
