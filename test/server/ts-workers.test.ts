/**
 * The TS server as several worker processes (TS_WORKERS=2) next to the real legacy app: one listening
 * line, both listeners shared, requests spread over the workers, signals reaching every worker, a dead
 * worker replaced, and start-up refusals that exit 1 instead of looping.
 */
import { get } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seedDatabase, tempDir, TEST_INTERNAL_TOKEN, waitUntil, type RunningProcess } from '../helpers/processes.ts';
import { isAlive } from '../helpers/children.ts';
import { runTs, startPair, type Pair } from './pair.ts';

type Line = Record<string, unknown>;

const linesOf = (process: RunningProcess): Line[] =>
  process.output.flatMap((line) => {
    try {
      return [JSON.parse(line) as Line];
    } catch {
      return [];
    }
  });

const events = (process: RunningProcess, event: string): Line[] => linesOf(process).filter((line) => line.event === event);

/** GET on a connection of its own, so the cluster's round robin can hand each request to another worker. */
const getOnNewConnection = (url: string, requestId: string): Promise<number> =>
  new Promise((done, reject) => {
    get(url, { agent: false, headers: { 'x-request-id': requestId } }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode!));
    }).on('error', reject);
  });

/** Send `count` GETs, each on a new connection, and return the access lines of the TS server for them. */
async function spread(ts: RunningProcess, path: string, tag: string, count = 10): Promise<{ statuses: number[]; lines: Line[] }> {
  const ids = Array.from({ length: count }, (_, i) => `${tag}-${Date.now()}-${i}`);
  const statuses: number[] = [];
  for (const id of ids) statuses.push(await getOnNewConnection(`${ts.url}${path}`, id));
  const accessLine = (id: string) => linesOf(ts).find((line) => line.event === 'access' && line.request_id === id);
  await waitUntil(() => ids.every(accessLine), `the access lines of ${tag}`);
  return { statuses, lines: ids.map((id) => accessLine(id)!) };
}

const pidsOf = (lines: Line[]): Set<unknown> => new Set(lines.map((line) => line.pid));

const workerPids = (ts: RunningProcess): number[] => events(ts, 'worker_listening').map((line) => line.pid as number);

describe('the TS server with TS_WORKERS=2', () => {
  let pair: Pair | undefined;
  afterEach(async () => {
    await pair?.stop();
    pair = undefined;
  });

  const startWorkers = (tsEnv: (dir: string) => Record<string, string> = () => ({})) => startPair({ tsEnv: (dir) => ({ TS_WORKERS: '2', ...tsEnv(dir) }) });

  it('logs one listening line naming 2 workers, answers on both listeners and spreads requests over both workers', async () => {
    pair = await startWorkers();
    const { ts } = pair;
    expect(events(ts, 'listening')).toHaveLength(1);
    expect(events(ts, 'listening')[0]).toMatchObject({ workers: 2, url: ts.url, internal_url: ts.internalUrl });
    // Each worker's own line is written by that worker; it may reach the pipe after the primary's.
    await waitUntil(() => workerPids(ts).length >= 2, "both workers' listening lines");
    expect(new Set(workerPids(ts)).size).toBe(2);
    for (const line of events(ts, 'worker_listening')) expect(line).not.toHaveProperty('url');

    const { statuses, lines } = await spread(ts, '/api/v1/threads/1', 'spread');
    expect(statuses).toEqual(Array(10).fill(200));
    expect(pidsOf(lines)).toEqual(new Set(workerPids(ts)));

    const internal = await fetch(`${ts.internalUrl}/_internal/v1/users/1`, { headers: { authorization: `Bearer ${TEST_INTERNAL_TOKEN}` } });
    expect(internal.status).toBe(200);
    expect(await internal.json()).toMatchObject({ user: { id: 1, username: 'alice' } });
  });

  it('reloads the route table in every worker on SIGHUP to the primary', async () => {
    const table = (routes: string): string =>
      `version: 1\nbackends:\n  legacy: { url: "http://127.0.0.1:\${LEGACY_PORT}" }\n  ts: { url: "http://127.0.0.1:\${TS_PORT}" }\nroutes:\n  - { path: /, mode: legacy }\n${routes}`;
    const threadsOnly = '  - { path: /api/v1/threads, mode: next, handler: threads, methods: [GET] }\n';
    const boardsToo = `${threadsOnly}  - { path: /api/v1/boards, exact: true, mode: next, handler: boards, methods: [GET] }\n`;
    pair = await startWorkers((dir) => {
      writeFileSync(join(dir, 'routes.yaml'), table(boardsToo));
      return { ROUTES: join(dir, 'routes.yaml') };
    });
    const { ts } = pair;
    const before = await spread(ts, '/api/v1/boards', 'boards-before');
    expect(before.lines.map((line) => line.backend)).toEqual(Array(10).fill('ts'));

    writeFileSync(join(pair.dir, 'routes.yaml'), table(threadsOnly));
    ts.child.kill('SIGHUP');
    await waitUntil(() => events(ts, 'routes_reloaded').length === 2, 'both workers reloading');
    expect(pidsOf(events(ts, 'routes_reloaded'))).toEqual(new Set(workerPids(ts)));

    const after = await spread(ts, '/api/v1/boards', 'boards-after');
    expect(after.statuses).toEqual(Array(10).fill(200));
    expect(after.lines.map((line) => line.backend)).toEqual(Array(10).fill('legacy'));
    expect(pidsOf(after.lines).size).toBe(2);
  });

  it('replaces a worker that dies, and keeps serving on both', async () => {
    pair = await startWorkers();
    const { ts } = pair;
    const [victim, survivor] = workerPids(ts);
    process.kill(victim!, 'SIGKILL');
    await waitUntil(() => events(ts, 'worker_exited').length === 1 && workerPids(ts).length === 3, 'the replacement worker');
    expect(events(ts, 'worker_exited')[0]).toMatchObject({ pid: victim, signal: 'SIGKILL', level: 'error' });
    const replacement = workerPids(ts)[2];

    const { statuses, lines } = await spread(ts, '/api/v1/threads/1', 'after-replacement');
    expect(statuses).toEqual(Array(10).fill(200));
    expect(pidsOf(lines)).toEqual(new Set([survivor, replacement]));
    expect(events(ts, 'listening')).toHaveLength(1);
  });

  it('restarts only the serving workers on a second SIGUSR2, while the workers it retired still wait for their clients', async () => {
    pair = await startWorkers();
    const { ts } = pair;
    const first = workerPids(ts);
    // Idle kept-alive connections, as a front door holds them: a retired worker leaves them to the client,
    // so the first restart's workers are still there, retired, when the second restart begins.
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const socket = connect(Number(new URL(ts.url).port), '127.0.0.1');
        held.push(socket);
        socket.on('error', () => undefined);
        await new Promise<void>((answered) => {
          socket.once('data', () => answered());
          socket.write('GET /api/v1/threads/1 HTTP/1.1\r\nHost: ts\r\n\r\n');
        });
      }
      const done = () => events(ts, 'rolling_restart_done');
      ts.child.kill('SIGUSR2');
      await waitUntil(() => done().length === 1, 'the first rolling restart', 30_000);
      expect(first.filter((pid) => isAlive(pid)).length).toBeGreaterThan(0);
      const second = done()[0]!.pids as number[];
      ts.child.kill('SIGUSR2');
      await waitUntil(() => done().length === 2, 'the second rolling restart', 30_000);
      const serving = done()[1]!.pids as number[];
      // Two workers serve, both new: neither a retired one nor one of the first restart's was restarted twice over.
      expect(serving).toHaveLength(2);
      expect(serving.filter((pid) => first.includes(pid) || second.includes(pid))).toEqual([]);
      expect(workerPids(ts)).toHaveLength(6);
    } finally {
      held.forEach((socket) => socket.destroy());
    }
  });

  it('stops with exit 1, saying why, when workers keep dying', async () => {
    pair = await startWorkers();
    const { ts } = pair;
    const exited = new Promise<number | null>((done) => ts.child.once('exit', (code) => done(code)));
    const killer = setInterval(
      () =>
        workerPids(ts)
          .filter((pid) => isAlive(pid))
          .forEach((pid) => process.kill(pid, 'SIGKILL')),
      50,
    );
    try {
      expect(await exited).toBe(1);
    } finally {
      clearInterval(killer);
    }
    expect(events(ts, 'crash_loop')).toHaveLength(1);
    expect(events(ts, 'crash_loop')[0]!.msg).toMatch(/^workers died 6 times in a row, each within 10 s of listening \(the last: .+\); stopping instead of replacing them again$/);
    expect(events(ts, 'worker_exited')).toHaveLength(5);
    await waitUntil(() => workerPids(ts).filter((pid) => isAlive(pid)).length === 0, 'every worker to be gone');
  });

  it('drains every worker on SIGTERM to the primary and exits 0 with no worker left', async () => {
    pair = await startWorkers();
    const { ts } = pair;
    const pids = workerPids(ts);
    const exited = new Promise<number | null>((done) => ts.child.once('exit', (code) => done(code)));
    ts.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(pidsOf(events(ts, 'draining')).size).toBe(3);
    expect(pids.filter((pid) => isAlive(pid))).toEqual([]);
  });
});

describe('TS_WORKERS at start-up', () => {
  let blocker: Server | undefined;
  afterEach(async () => {
    await new Promise((done) => (blocker ? blocker.close(done) : done(undefined)));
    blocker = undefined;
  });

  it.each(['0', 'two', '-1', '1.5', 'AUTO'])('refuses TS_WORKERS=%s, saying what to set', (value) => {
    const result = runTs({ TS_WORKERS: value, FORUM_DB: '/nonexistent/forum.db' });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`TS_WORKERS=${value} is not a number of worker processes`);
    expect(result.stdout).toContain('or auto for one per core');
  });

  it("exits 1 with the worker's reason, once, when the workers cannot listen", async () => {
    blocker = createServer();
    const port = await new Promise<number>((done) => blocker!.listen(0, '127.0.0.1', () => done((blocker!.address() as { port: number }).port)));
    const { dir, cleanup } = tempDir();
    try {
      const result = runTs({ TS_WORKERS: '2', TS_PORT: String(port), FORUM_DB: seedDatabase(dir) });
      expect(result.status).toBe(1);
      // The primary's lines are the ones without a worker number.
      const fatal = result.stdout.split('\n').filter((line) => line.includes('"fatal"') && !line.includes('"worker"'));
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).toContain(`could not start: port ${port} on 127.0.0.1 is already in use; stop what holds it or start with TS_PORT=<another port>`);
      expect(result.stdout).not.toContain('worker_exited');
      expect(result.stdout).not.toContain('"listening"');
    } finally {
      cleanup();
    }
  });

  it('exits 1 from the primary, before forking, when the database is missing', () => {
    const result = runTs({ TS_WORKERS: '2', FORUM_DB: '/nonexistent/forum.db' });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('the forum database /nonexistent/forum.db does not exist');
    expect(result.stdout).not.toContain('"worker"');
  });
});
