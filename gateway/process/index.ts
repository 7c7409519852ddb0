/**
 * Start and stop the stack's server processes. The gateway's own servers log JSON lines and, once they
 * listen, a line with `"event":"listening"` and `"url"`; {@link spawnServer} resolves on that line, so
 * nobody guesses ports (tests run everything on port 0). An app run as it is, which logs what it likes,
 * is started by {@link startApp} and found ready by a TCP connect or a health path instead.
 *
 * @example
 * const legacy = await spawnServer({ name: 'legacy', command: 'python3', args: ['legacy-python/serve.py'], env: { LEGACY_PORT: '0' } });
 * console.log(legacy.url); // http://127.0.0.1:41234
 * await legacy.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
/**
 * Lines of a child's output kept in {@link RunningProcess.output}: enough for a failure report or a test
 * that looks for a recent line, and a bound, so a long-running `strangler up` whose children log every
 * request does not keep them all.
 */
export const KEEP_OUTPUT_LINES = 2_000;

export interface RunningProcess {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  /** Other listeners the process named in its listening line (`internal_url`), if any. */
  readonly internalUrl?: string;
  /** Its admin listener (`admin_url` in its listening line: the Node edge's), if any. */
  readonly adminUrl?: string;
  readonly child: ChildProcess;
  /** The lines the process wrote so far (the last `keepLines` of them, KEEP_OUTPUT_LINES unless told), stdout and stderr interleaved. */
  readonly output: string[];
  stop(): Promise<void>;
}

export interface SpawnOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Called with each line as it arrives (e.g. to echo it with a prefix). */
  readonly onLine?: (line: string) => void;
  readonly startTimeoutMs?: number;
  /** Run it in a process group of its own, stopped as a whole (see {@link spawnChild}). */
  readonly detached?: boolean;
  /** Keep only this many of the last lines in `output` (a long-running parent must not grow); default all. */
  readonly keepLines?: number;
  /** Give up waiting (and kill the process) when this aborts, e.g. on Ctrl-C during start-up. */
  readonly signal?: AbortSignal;
}

/** Append a line to `output`, dropping the oldest when it holds twice `keepLines` (amortized, not per line). */
export function keepLine(output: string[], line: string, keepLines = KEEP_OUTPUT_LINES): void {
  output.push(line);
  if (output.length >= keepLines * 2) output.splice(0, output.length - keepLines);
}

/** Spawn a server and resolve once it logs its listening line. Rejects with its output if it exits first. */
export function spawnServer(options: SpawnOptions): Promise<RunningProcess> {
  const { name, command, args, env = {}, cwd = process.cwd(), onLine, startTimeoutMs = START_TIMEOUT_MS, detached = false, keepLines, signal } = options;
  // STRANGLER_PARENT_PID: a server of the project stops by itself once this process is gone (see parent.ts).
  const child = spawnChild(command, args, { cwd, env: { ...process.env, STRANGLER_PARENT_PID: String(process.pid), ...env }, detached });
  const output: string[] = [];
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`${name} did not log a listening line within ${startTimeoutMs} ms`)), startTimeoutMs);
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signalChild(child, 'SIGKILL');
      const tail = output.slice(-30).join('\n');
      reject(new Error(`${err.message}${tail ? `\n--- last lines of ${name} ---\n${tail}` : ''}`));
    };
    const handleLine = (line: string): void => {
      keepLine(output, line, keepLines);
      onLine?.(line);
      if (settled || !line.includes('"listening"')) return;
      const urls = listeningUrls(line);
      if (urls === null) return;
      settled = true;
      clearTimeout(timer);
      const { url, internalUrl, adminUrl } = urls;
      resolvePromise({
        name,
        url,
        port: Number(new URL(url).port),
        ...(internalUrl ? { internalUrl } : {}),
        ...(adminUrl ? { adminUrl } : {}),
        child,
        output,
        stop: () => stopChild(child),
      });
    };
    for (const stream of [child.stdout!, child.stderr!]) forEachLine(stream, handleLine);
    signal?.addEventListener('abort', () => fail(new Error(`${name}: start cancelled`)), { once: true });
    if (signal?.aborted) fail(new Error(`${name}: start cancelled`));
    child.once('error', (err) => fail(new Error(`${name} could not be started (${command}): ${err.message}`)));
    child.once('exit', (code, signal) => fail(new Error(`${name} exited (code ${code}, signal ${signal}) before listening`)));
  });
}

const listeningUrls = (line: string): { url: string; internalUrl?: string; adminUrl?: string } | null => {
  try {
    const { url, internal_url: internalUrl, admin_url: adminUrl } = JSON.parse(line) as { url?: unknown; internal_url?: unknown; admin_url?: unknown };
    if (typeof url !== 'string') return null;
    return { url, ...(typeof internalUrl === 'string' ? { internalUrl } : {}), ...(typeof adminUrl === 'string' ? { adminUrl } : {}) };
  } catch {
    return null;
  }
};

/** Split a byte stream into lines, calling `onLine` for each complete one. */
export function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    lines.forEach(onLine);
  });
  stream.on('end', () => buffered && onLine(buffered));
}

const groupLeaders = new WeakSet<ChildProcess>();

/**
 * Spawn with piped output. `detached` puts the child in a process group of its own: a terminal's Ctrl-C
 * then reaches only `strangler up`, which stops the children in order, and signals reach what the child
 * started itself (a reloader's worker, gunicorn's workers), so nothing is left holding the port.
 *
 * @example
 * const child = spawnChild('flask', ['run'], { cwd: 'app', env: process.env, detached: true });
 */
export function spawnChild(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; detached?: boolean }): ChildProcess {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false });
  if (options.detached) groupLeaders.add(child);
  return child;
}

/** Send `signal` to the child, and to its whole process group when it leads one. */
export function signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (groupLeaders.has(child) && child.pid) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // ESRCH: already gone.
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone (its group too, when it leads one). */
export function stopChild(child: ChildProcess, graceMs = STOP_GRACE_MS): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    // The leader is gone; whatever it started may not be.
    if (groupLeaders.has(child)) signalChild(child, 'SIGKILL');
    return Promise.resolve();
  }
  return new Promise((done) => {
    const timer = setTimeout(() => signalChild(child, 'SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      if (groupLeaders.has(child)) signalChild(child, 'SIGKILL');
      done();
    });
    signalChild(child, 'SIGTERM');
  });
}

/** A port that was free a moment ago, for programs that cannot report the port they bound (nginx). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((done, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Whether something accepts connections on host:port right now. */
export function isListening(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (result: boolean): void => {
      socket.destroy();
      done(result);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** Poll until host:port accepts connections; false when the deadline passes first. */
export async function waitForPort(host: string, port: number, timeoutMs = START_TIMEOUT_MS): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isListening(host, port)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

export { startApp, type AppOptions } from './app.ts';
export { waitUntilReady, type Readiness } from './readiness.ts';
export { supervise, type RestartPolicy, type Supervised, type SuperviseOptions } from './supervisor.ts';
export { loadTableOrFail, reloadOnSighup, failOnListenError, type ReloadOptions } from './startup.ts';
export { runPrimary, type PrimaryOptions } from './workers.ts';
export { askPrimaryForWorkers, clusterSiblings, isWorkerMessage, noSiblings, tellPrimary, type Siblings, type WorkerRevision } from './siblings.ts';
export { stopWhenParentGone } from './parent.ts';
