/**
 * Throughput of the migrated thread endpoint (`GET /api/v1/threads/<id>`, JSON) answered by TS and by
 * legacy, through the same kind of front door, on the same data, interleaved in one run: the machines
 * are shared and noisy, so only the ratio between the two means anything.
 *
 * @example
 * node --import tsx bench/migrated-endpoint.ts            # 3 rounds of 5 s each
 * BENCH_ROUNDS=1 BENCH_SECONDS=2 node --import tsx bench/migrated-endpoint.ts   # quick
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { NGINX, seedDatabase, startEdge, startLegacy, startNginx, startTs } from '../test/helpers/stack.ts';
import { ROOT, tempDir } from '../test/helpers/processes.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const THREAD_ID = process.env.BENCH_THREAD_ID ?? '1000';

interface WrkResult { rps: number; p50Ms: number; p99Ms: number; errors: number }

function wrk(url: string): WrkResult {
  // wrk prints latency percentiles with --latency; parse them out of its text report.
  const out = execFileSync('wrk', ['-t', '1', '-c', String(CONNECTIONS), '-d', `${SECONDS}s`, '--latency', url], { encoding: 'utf8' });
  const ms = (label: string): number => {
    const match = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    if (!match) throw new Error(`no ${label}% latency in wrk output:\n${out}`);
    return Number(match[1]) * ({ us: 0.001, ms: 1, s: 1000 } as const)[match[2] as 'us' | 'ms' | 's'];
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0);
  return { rps, p50Ms: ms('50'), p99Ms: ms('99'), errors };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  const { dir, cleanup } = tempDir('strangler-bench-');
  console.log('seeding the bench database...');
  const db = seedDatabase(dir, 'bench');
  const env: Record<string, string> = { FORUM_DB: db, LOG_LEVEL: 'warn' };
  const legacy = await startLegacy(env);
  env.LEGACY_PORT = String(legacy.port);
  const ts = await startTs(env);
  env.TS_PORT = String(ts.port);

  // The same table with the thread route handed back to legacy: the only difference between A and B.
  const legacyRoutes = join(dir, 'routes-legacy.yaml');
  const table = parse(readFileSync(join(ROOT, 'routes.yaml'), 'utf8')) as { routes: { path: string }[] };
  table.routes = table.routes.map((route) => (route.path === '/api/v1/threads' ? { path: route.path, mode: 'legacy' } : route));
  writeFileSync(legacyRoutes, stringify(table));
  const kind = NGINX.ok ? 'nginx' : 'edge';
  const start = (routes: string, sub: string) => kind === 'nginx' ? startNginx(join(dir, sub), { ...env, ROUTES: routes }) : startEdge({ ...env, ROUTES: routes });
  execFileSync('mkdir', ['-p', join(dir, 'a'), join(dir, 'b')]);
  const viaTs = await start(join(ROOT, 'routes.yaml'), 'a');
  const viaLegacy = await start(legacyRoutes, 'b');
  const path = `/api/v1/threads/${THREAD_ID}`;
  const [a, b] = await Promise.all([fetch(viaTs.url + path).then((r) => r.text()), fetch(viaLegacy.url + path).then((r) => r.text())]);
  if (a !== b) throw new Error('TS and legacy answered different bodies; fix parity before measuring');

  const results: Record<'ts' | 'legacy', WrkResult[]> = { ts: [], legacy: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      results.ts.push(wrk(viaTs.url + path));
      results.legacy.push(wrk(viaLegacy.url + path));
      console.log(`round ${round + 1}: ts ${results.ts.at(-1)!.rps.toFixed(0)} rps, legacy ${results.legacy.at(-1)!.rps.toFixed(0)} rps`);
    }
  } finally {
    await Promise.all([viaTs.stop(), viaLegacy.stop(), ts.stop(), legacy.stop()]);
    cleanup();
  }
  const summary = (runs: WrkResult[]) => ({
    rps: median(runs.map((r) => r.rps)),
    rpsSpread: [Math.min(...runs.map((r) => r.rps)), Math.max(...runs.map((r) => r.rps))],
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
  });
  const report = {
    scenario: 'migrated thread endpoint, JSON, through the same front door',
    frontDoor: kind,
    path,
    rounds: ROUNDS,
    secondsPerRun: SECONDS,
    connections: CONNECTIONS,
    ts: summary(results.ts),
    legacy: summary(results.legacy),
    ratio: median(results.ts.map((r) => r.rps)) / median(results.legacy.map((r) => r.rps)),
    date: new Date().toISOString(),
  };
  writeFileSync(join(ROOT, 'bench/results/migrated-endpoint.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
}

await main();
