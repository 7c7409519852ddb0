/**
 * Start the real processes of the stack on port 0 for process-level tests.
 *
 * Convention every server of the project follows: it takes its port from the environment (0 = any
 * free port), logs JSON lines, and once it listens logs a line with `"event":"listening"` and
 * `"url":"http://127.0.0.1:<port>"`. The helpers wait for that line, so a test never guesses ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const PYTHON = process.env.PYTHON ?? 'python3';
const START_TIMEOUT_MS = 20_000;

export interface RunningProcess {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Every line the process wrote so far, stdout and stderr interleaved. */
  readonly output: string[];
  stop(): Promise<void>;
}

export interface SpawnOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  readonly cwd?: string;
}

/** Spawn a server and resolve once it logs its listening line. Rejects with its output if it exits first. */
export function spawnServer({ name, command, args, env = {}, cwd = ROOT }: SpawnOptions): Promise<RunningProcess> {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not log a listening line within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${err.message}\n--- ${name} output ---\n${output.join('\n')}`));
    };
    const onLine = (line: string): void => {
      output.push(line);
      if (!line.includes('"listening"')) return;
      let url: unknown;
      try {
        url = (JSON.parse(line) as { url?: unknown }).url;
      } catch {
        return;
      }
      if (typeof url !== 'string') return;
      clearTimeout(timer);
      resolvePromise({ name, url, port: Number(new URL(url).port), child, output, stop: () => stopChild(child) });
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        lines.forEach(onLine);
      });
    }
    child.once('error', fail);
    child.once('exit', (code, signal) => fail(new Error(`${name} exited (code ${code}, signal ${signal}) before listening`)));
  });
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
export function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

/** A port that was free a moment ago, for programs that cannot listen on port 0 and report it (nginx). */
export function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'strangler-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
