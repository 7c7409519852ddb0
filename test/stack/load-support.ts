/**
 * What the load suites need besides the stack: CPU burners that saturate the machine for a bounded time,
 * a seeded database with cheap-but-real password hashes, open files and RSS of a process from /proc,
 * and a login that returns the session cookies.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { PYTHON, ROOT, stopChild } from '../helpers/processes.ts';

/** Busy-loop children, one per core (at least 2, at most 4); each ends by itself after `maxMs`. */
export function startCpuBurners(maxMs: number): { stop(): Promise<void> } {
  const count = Math.min(4, Math.max(2, availableParallelism()));
  const burners: ChildProcess[] = Array.from({ length: count }, () =>
    spawn(process.execPath, ['-e', `const end = Date.now() + ${maxMs}; while (Date.now() < end) {}`], { stdio: 'ignore' }),
  );
  return { stop: async () => void (await Promise.all(burners.map((burner) => stopChild(burner, 1_000)))) };
}

/** A tiny forum database whose users' hashes take `iterations` rounds (the TS side verifies what it is given). */
export function seedWithIterations(dir: string, iterations: number): string {
  const db = join(dir, 'load.db');
  const result = spawnSync(PYTHON, ['legacy-python/seed.py', '--db', db, '--size', 'tiny'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, FORUM_PBKDF2_ITERATIONS: String(iterations) },
  });
  if (result.status !== 0) throw new Error(`seeding failed: ${result.stderr}${result.stdout}`);
  return db;
}

/** Open file descriptors of a process. */
export const openFiles = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** Resident set size of a process, in MiB. */
export function rssMiB(pid: number): number {
  const kib = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) / 1024;
}

/** POST JSON, answering status and parsed body (null when it is not JSON). */
export async function postJson(url: string, body: unknown, cookie?: string): Promise<{ status: number; body: unknown; cookies: string[] }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) }, body: JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text.slice(0, 200);
  }
  return { status: res.status, body: parsed, cookies: res.headers.getSetCookie() };
}

/** `forum_session=…; forum_csrf=…` from a login's Set-Cookie lines. */
export const cookieOf = (cookies: string[]): string =>
  cookies
    .map((line) => line.split(';')[0]!)
    .filter((pair) => !pair.endsWith('='))
    .join('; ');

/**
 * Keep `workers` loops fetching `paths` (bodies read) until `stop()`; resolves with counts by status.
 * `failures` keeps the first few answers whose status is not in `expected`.
 */
export function readLoad(
  baseUrl: string,
  paths: readonly string[],
  workers: number,
  expected: readonly number[] = [200],
): { stop(): Promise<Record<number, number>>; failures: string[]; served(): number } {
  let running = true;
  let served = 0;
  const statuses: Record<number, number> = {};
  const failures: string[] = [];
  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let i = worker; running; i++) {
      try {
        const path = paths[i % paths.length]!;
        const res = await fetch(baseUrl + path);
        const text = await res.text();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        served += 1;
        if (!expected.includes(res.status) && failures.length < 5) failures.push(`${res.status} GET ${path}: ${text.slice(0, 200)}`);
      } catch (err) {
        statuses[0] = (statuses[0] ?? 0) + 1;
        if (failures.length < 5) failures.push(String(err));
      }
    }
  });
  return {
    failures,
    served: () => served,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return statuses;
    },
  };
}

/** Poll `check` until it holds or `timeoutMs` passes; answers whether it held. */
export async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  return true;
}
