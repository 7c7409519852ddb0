/**
 * Does anything grow without bound? `strangler up` (with every child logging each request) runs the
 * whole stack; rounds of load (reads over legacy and TS routes, plus replies) alternate with idle gaps,
 * and after each gap the RSS of `strangler up`, of each TS server process and of legacy is sampled,
 * with legacy's open files. A leak shows as growth that does not level off by the last round; legacy's
 * open files must come back to their baseline once idle (its kept-alive connections close).
 *
 *   node --import tsx bench/leaks.ts [--rounds 3] [--round-s 60] [--gap-s 15] [--workers 30] [--front edge|nginx]
 *
 * Writes bench/results/leaks.md and prints the same table. test/stack/load-leaks.test.ts is the short
 * version that runs in `npm test`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { forEachLine, stopChild } from '../gateway/process/index.ts';
import { cookieOf, eventually, openFiles, postJson, readLoad, rssMiB } from '../test/stack/load-support.ts';
import { ROOT } from '../test/helpers/processes.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'round-s': { type: 'string', default: '60' },
    'gap-s': { type: 'string', default: '15' },
    workers: { type: 'string', default: '30' },
    front: { type: 'string', default: 'edge' },
    out: { type: 'string', default: join(ROOT, 'bench/results/leaks.md') },
  },
});
const ROUNDS = Number(values.rounds);
const ROUND_MS = Number(values['round-s']) * 1000;
const GAP_MS = Number(values['gap-s']) * 1000;
const WORKERS = Number(values.workers);
const FD_SETTLE_MS = 120_000;
const PATHS = ['/', '/b/general', '/api/v1/boards/general/threads', '/api/v1/boards', '/api/v1/threads/1', '/t/1', '/t/1?page=2', '/no-such-page', '/api/v1/me'];

/** Every descendant of `pid` with its command line. */
function descendants(pid: number): { pid: number; cmd: string }[] {
  let children: number[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((child) => {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${child}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      /* gone */
    }
    return [{ pid: child, cmd }, ...descendants(child)];
  });
}

const dir = mkdtempSync(join(tmpdir(), 'strangler-leaks-'));
const up = spawn(process.execPath, [join(ROOT, 'bin/strangler.js'), 'up'], {
  cwd: ROOT,
  env: {
    ...process.env,
    LOG_LEVEL: 'info',
    FORUM_DB: join(dir, 'forum.db'),
    FORUM_PBKDF2_ITERATIONS: '1000',
    STRANGLER_FRONT_DOOR: values.front,
    FRONT_PORT: '0',
    TS_PORT: '0',
    LEGACY_PORT: '0',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let lines = 0;
let front = '';
const onLine = (line: string): void => {
  lines += 1;
  front ||= /front door\s+(http:\/\/\S+)/.exec(line)?.[1] ?? '';
};
forEachLine(up.stdout, onLine);
forEachLine(up.stderr, onLine);

try {
  if (!(await eventually(() => front !== '', 120_000))) throw new Error('strangler up printed no front door URL within 120 s');
  const processes = descendants(up.pid!);
  const legacy = processes.find((p) => p.cmd.includes('serve.py'));
  const ts = processes.filter((p) => p.cmd.includes('gateway/server/main.ts'));
  if (!legacy || ts.length === 0) throw new Error(`cannot find legacy and TS under strangler up: ${JSON.stringify(processes)}`);
  const baselineFiles = openFiles(legacy.pid);
  const sample = () => ({ up: rssMiB(up.pid!), ts: ts.map((p) => rssMiB(p.pid)), legacy: rssMiB(legacy.pid), legacyFiles: openFiles(legacy.pid) });
  const rows = [{ label: 'before load', requests: 0, ...sample() }];
  console.log(`front door ${front}; legacy pid ${legacy.pid}, TS pids ${ts.map((p) => p.pid).join(',')}; ${ROUNDS} x ${ROUND_MS / 1000} s, gaps ${GAP_MS / 1000} s`);

  const login = await postJson(`${front}/api/v1/login`, { username: 'alice', password: 'alice-password' });
  if (login.status !== 200) throw new Error(`login answered ${login.status}`);
  const cookie = cookieOf(login.cookies);
  for (let round = 1; round <= ROUNDS; round++) {
    const reads = readLoad(front, PATHS, WORKERS, [200, 401, 404]);
    const end = Date.now() + ROUND_MS;
    let replies = 0;
    while (Date.now() < end) {
      await postJson(`${front}/api/v1/threads/1/posts`, { body: `leak round ${round} reply ${replies}` }, cookie);
      replies += 1;
    }
    const statuses = await reads.stop();
    const requests = Object.values(statuses).reduce((a, b) => a + b, 0) + replies;
    rows.push({ label: `round ${round} (+${GAP_MS / 1000} s idle)`, requests, ...(await new Promise<ReturnType<typeof sample>>((r) => setTimeout(() => r(sample()), GAP_MS))) });
    console.log(JSON.stringify(rows.at(-1)), reads.failures.length ? `unexpected: ${reads.failures.join(' | ')}` : '');
  }
  const settled = await eventually(() => openFiles(legacy.pid) <= baselineFiles + 3, FD_SETTLE_MS);
  rows.push({ label: settled ? 'idle until legacy files settle' : `idle ${FD_SETTLE_MS / 1000} s (not settled)`, requests: 0, ...sample() });

  const table = [
    `# Leak check: ${ROUNDS} rounds of ${ROUND_MS / 1000} s load, ${GAP_MS / 1000} s idle gaps, ${WORKERS} readers + 1 writer, ${values.front} front door`,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} with \`node --import tsx bench/leaks.ts --rounds ${ROUNDS} --round-s ${ROUND_MS / 1000} --gap-s ${GAP_MS / 1000}\`; \`strangler up\` printed ${lines} lines.`,
    '',
    '| after | requests | strangler up RSS MiB | TS RSS MiB | legacy RSS MiB | legacy open files |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (row) => `| ${row.label} | ${row.requests} | ${row.up.toFixed(1)} | ${row.ts.map((mib) => mib.toFixed(1)).join(' / ')} | ${row.legacy.toFixed(1)} | ${row.legacyFiles} |`,
    ),
    '',
  ].join('\n');
  writeFileSync(values.out, table);
  console.log(`\n${table}`);
} finally {
  await stopChild(up, 15_000);
  rmSync(dir, { recursive: true, force: true });
}
