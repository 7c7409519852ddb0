/**
 * The processes scenarios measure, started through the test helpers (the same code the process-level
 * tests use) plus what only the benchmark needs: gunicorn, route-table variants, the front door's own
 * answer as a ceiling.
 *
 * @example
 * const db = await forumDatabase(ctx);
 * const ts = await sharedTs(ctx);
 * const front = await ctx.own(startFrontDoor(ctx, { ...ctx.env({ FORUM_DB: db }), TS_PORT: String(ts.port) }));
 */
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { forEachLine } from '../../gateway/process/index.ts';
import { freePort, internalEnv, ROOT, stopChild, waitForPort, type RunningProcess } from '../../test/helpers/processes.ts';
import { seedDatabase, startEdge, startLegacy, startNginx, startTs, type FrontDoorKind } from '../../test/helpers/stack.ts';
import type { BenchContext, Stoppable } from './context.ts';
import type { Target } from './measure.ts';

export interface Listening extends Stoppable {
  readonly url: string;
}

/** The seeded database every reading scenario shares (seeded once per run; the bench size takes ~12 s). */
export function forumDatabase(ctx: BenchContext): Promise<string> {
  return ctx
    .shared('database', async () => {
      ctx.log(`seeding the ${ctx.options.seed} database...`);
      const file = seedDatabase(ctx.subdir('db'), ctx.options.seed);
      return { file, stop: async () => {} };
    })
    .then((db) => db.file);
}

/** A private copy of the seeded database, for a scenario that writes. */
export async function copyOfForumDatabase(ctx: BenchContext): Promise<string> {
  const copy = join(ctx.subdir('db-copy'), 'forum.db');
  // seed.py folds the write-ahead log into the file, so the file alone is the whole database.
  copyFileSync(await forumDatabase(ctx), copy);
  return copy;
}

/** `/api/v1/threads/<id>` of the thread the run reads. */
export const threadPath = (ctx: BenchContext): string => `/api/v1/threads/${ctx.options.threadId}`;

/**
 * Where legacy reaches the internal endpoints: the shared TS server's internal listener, on a port
 * picked before either starts (legacy is told where to call before the TS server exists).
 */
const sharedInternalEnv = (ctx: BenchContext): Promise<Record<string, string>> =>
  ctx.shared('internal-env', async () => ({ env: await internalEnv(), stop: async () => {} })).then((shared) => shared.env);

/** What legacy needs, under any server: the database and the way to the internal endpoints. */
async function legacyEnv(ctx: BenchContext): Promise<Record<string, string>> {
  const { INTERNAL_PORT: _port, ...internal } = await sharedInternalEnv(ctx);
  return ctx.env({ FORUM_DB: await forumDatabase(ctx), ...internal });
}

/** Legacy on its own threaded server, on the shared database. */
export const sharedLegacy = (ctx: BenchContext): Promise<RunningProcess> => ctx.shared('legacy', async () => startLegacy(await legacyEnv(ctx)));

/** Legacy under gunicorn, on the shared database (see {@link startGunicorn}). */
export const sharedGunicorn = (ctx: BenchContext): Promise<Listening & { workers: number }> => ctx.shared('gunicorn', async () => startGunicorn(await legacyEnv(ctx)));

/**
 * TS runs one worker process per core, as gunicorn gets one sync worker per core: like against like.
 * BENCH_TS_WORKERS overrides it (e.g. 1, to see what a hop costs when the backend leaves a core free).
 */
export const TS_WORKERS = Number(process.env.BENCH_TS_WORKERS ?? availableParallelism());
export const TS_WORKERS_ENV = { TS_WORKERS: String(TS_WORKERS) } as const;

/** The TS server on routes.yaml and the shared database, proxying to the shared legacy; its internal listener is the one legacy calls. */
export const sharedTs = (ctx: BenchContext): Promise<RunningProcess> =>
  ctx.shared('ts', async () => startTs({ ...(await legacyEnv(ctx)), ...(await sharedInternalEnv(ctx)), ...TS_WORKERS_ENV, LEGACY_PORT: String((await sharedLegacy(ctx)).port) }));

/**
 * The environment naming the shared database and both shared backends, for a front door in front of
 * them; another TS server started with it gets its own internal listener (startTs's INTERNAL_PORT=0).
 */
export async function sharedStackEnv(ctx: BenchContext): Promise<Record<string, string>> {
  const [env, legacy, ts] = [await legacyEnv(ctx), await sharedLegacy(ctx), await sharedTs(ctx)];
  return { ...env, LEGACY_PORT: String(legacy.port), TS_PORT: String(ts.port) };
}

/** A front door on the table `env.ROUTES` (default routes.yaml): nginx or the edge, the run's kind unless named. */
export async function startFrontDoor(ctx: BenchContext, env: Record<string, string>, kind: FrontDoorKind = ctx.frontDoor): Promise<Listening & { kind: FrontDoorKind }> {
  const front = kind === 'nginx' ? await startNginx(ctx.subdir('nginx'), env) : await startEdge(env);
  return { kind, url: front.url, stop: () => front.stop() };
}

/** The front door answering by itself (its 404 for `/_internal`): nothing behind it can go faster. */
export const frontDoorAlone = (name: string, label: string, front: Listening): Target => ({
  name,
  label,
  url: `${front.url}/_internal/bench-ceiling`,
  role: 'ceiling',
  expectedStatus: 404,
});

/** One route of routes.yaml as plain data. */
export type RouteEntry = Record<string, unknown> & { path: string };

/**
 * Write a variant of routes.yaml and return its path.
 *
 * @example
 * const file = writeRoutes(ctx, 'threads-legacy', (routes) => routes.map((r) => r.path === '/api/v1/threads' ? { path: r.path, mode: 'legacy' } : r));
 */
export function writeRoutes(ctx: BenchContext, name: string, edit: (routes: RouteEntry[]) => RouteEntry[]): string {
  const table = parse(readFileSync(join(ROOT, 'routes.yaml'), 'utf8')) as { routes: RouteEntry[] };
  table.routes = edit(table.routes);
  const file = join(ctx.subdir('routes'), `${name}.yaml`);
  writeFileSync(file, stringify(table));
  return file;
}

/** Replace the route of `path` (which must exist in routes.yaml) with `replacement`. */
export const replaceRoute =
  (path: string, replacement: RouteEntry) =>
  (routes: RouteEntry[]): RouteEntry[] => {
    if (!routes.some((route) => route.path === path)) throw new Error(`routes.yaml has no route for ${path}; the scenario needs one to vary`);
    return routes.map((route) => (route.path === path ? replacement : route));
  };

/**
 * routes.yaml without the route of `path`: the table before the endpoint moved, so the front door sends
 * it straight to legacy by the default route (a listed route in mode legacy would go through the TS server).
 */
export const withoutRoute =
  (path: string) =>
  (routes: RouteEntry[]): RouteEntry[] => {
    if (!routes.some((route) => route.path === path)) throw new Error(`routes.yaml has no route for ${path}; the scenario needs one to vary`);
    return routes.filter((route) => route.path !== path);
  };

/**
 * routes.yaml with every canary route made `next`: a scenario that measures the TS handler of a canary
 * route (the board page) must not depend on the side the load's canary bucket picks.
 */
export const canaryAsNextRoutes = (ctx: BenchContext): string =>
  writeRoutes(ctx, 'canary-as-next', (routes) =>
    routes.map((route) => {
      if (route.mode !== 'canary') return route;
      const { percent: _percent, ...rest } = route;
      return { ...rest, mode: 'next' };
    }),
  );

/** routes.yaml with the thread endpoint handed back to legacy: the table before the endpoint moved. */
export const threadsOnLegacyRoutes = (ctx: BenchContext): string => writeRoutes(ctx, 'threads-on-legacy', withoutRoute('/api/v1/threads'));

/**
 * The legacy WSGI app under gunicorn with sync workers (one per core unless told), as a team would
 * deploy it. gunicorn prints no JSON listening line, so it gets a free port and is polled until it listens.
 */
export async function startGunicorn(env: Record<string, string>, workers = availableParallelism()): Promise<Listening & { workers: number }> {
  const port = await freePort();
  const args = ['--chdir', 'legacy-python', '-w', String(workers), '-k', 'sync', '-b', `127.0.0.1:${port}`, 'forum.app:application'];
  const child = spawn('gunicorn', args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  forEachLine(child.stdout, (line) => output.push(line));
  forEachLine(child.stderr, (line) => output.push(line));
  // Not on PATH, or exited at start (an import error): stop polling at once.
  const gone = new Promise<false>((done) => {
    child.once('error', (err) => {
      output.push(err.message);
      done(false);
    });
    child.once('exit', () => done(false));
  });
  if (!(await Promise.race([waitForPort('127.0.0.1', port, 15_000), gone]))) {
    child.kill('SIGKILL');
    throw new Error(`gunicorn did not start:\n${output.join('\n')}`);
  }
  return { url: `http://127.0.0.1:${port}`, workers, stop: () => stopChild(child) };
}

/**
 * Fetch `path` from each base URL and throw unless every answer is 200 with the same body, compared
 * after `normalize` (for what legitimately differs between two requests, such as a view count).
 */
export async function assertSameAnswers(path: string, bases: Readonly<Record<string, string>>, normalize = (body: string) => body): Promise<void> {
  const answers = await Promise.all(
    Object.entries(bases).map(async ([name, base]) => {
      const response = await fetch(base + path);
      return { name, status: response.status, body: normalize(await response.text()) };
    }),
  );
  const [first] = answers;
  for (const answer of answers) {
    if (answer.status !== 200) throw new Error(`${answer.name} answered ${answer.status} to GET ${path}; every configuration must answer 200 before it is measured`);
    if (answer.body !== first!.body) throw new Error(`${answer.name} and ${first!.name} answered different bodies to GET ${path}; fix parity before measuring`);
  }
}
