/**
 * Start an app as it is (`flask run`, `gunicorn app:app`, `python manage.py runserver`, `python
 * server.py`): no wrapper and no special log line. The caller chooses the port and passes it in the
 * environment (the command may also name it); the app is ready when the port accepts connections or a
 * health path answers below 500.
 *
 * @example
 * const app = await startApp({ name: 'legacy', command: ['gunicorn', '-b', '127.0.0.1:9000', 'app:app'], cwd: 'examples/wsgi', env, host: '127.0.0.1', port: 9000, readyTimeoutMs: 30_000 });
 * await app.stop();
 */
import { forEachLine, keepLine, signalChild, spawnChild, stopChild, type RunningProcess } from './index.ts';
import { waitUntilReady } from './readiness.ts';

const TAIL_LINES = 30;

export interface AppOptions {
  readonly name: string;
  readonly command: readonly [string, ...string[]];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly host: string;
  readonly port: number;
  readonly httpPath?: string;
  readonly readyTimeoutMs: number;
  readonly onLine?: (line: string) => void;
  /** Keep only this many of the last lines in `output`; default all. */
  readonly keepLines?: number;
  /** Give up waiting (and kill the app) when this aborts, e.g. on Ctrl-C during start-up. */
  readonly signal?: AbortSignal;
  /** Named in the message when nothing listens: where the app should read its port from. */
  readonly portVariable?: string;
}

/** Spawn the app in a process group of its own and resolve once it is ready; rejects with its last lines. */
export async function startApp(options: AppOptions): Promise<RunningProcess> {
  const {
    name,
    command: [program, ...args],
    cwd,
    env,
    host,
    port,
    httpPath,
    readyTimeoutMs,
    onLine,
    portVariable = 'LEGACY_PORT',
    keepLines,
    signal,
  } = options;
  const child = spawnChild(program, args, { cwd, env, detached: true });
  const output: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    forEachLine(stream, (line) => {
      keepLine(output, line, keepLines);
      onLine?.(line);
    });
  }
  let exit: string | undefined;
  const closed = new Promise((done) => child.once('close', done));
  signal?.addEventListener('abort', () => signalChild(child, 'SIGKILL'), { once: true });
  child.once('exit', (code, signal) => (exit = `${name} exited (code ${code}, signal ${signal}) before it was ready`));
  child.once('error', (err) => {
    const hint = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `; is ${program} installed and on PATH? Name it by its full path otherwise` : '';
    exit = `${name} could not be started (${program} in ${cwd}): ${err.message}${hint}`;
  });

  const ready = await waitUntilReady({ host, port, ...(httpPath ? { httpPath } : {}), timeoutMs: readyTimeoutMs, abandoned: () => exit !== undefined || signal?.aborted === true });
  if (!ready.ok || exit !== undefined) {
    const why =
      exit ??
      (signal?.aborted ? `${name}: start cancelled` : undefined) ??
      `${name} was not ready within ${readyTimeoutMs / 1000} s: ${ready.ok ? 'ready' : ready.reason}. It must listen on ${host}:${port}: read the port from ${portVariable} or put \${${portVariable}} in its command`;
    signalChild(child, 'SIGKILL');
    // Lines written just before exiting may still be in the pipe.
    await Promise.race([closed, new Promise((done) => setTimeout(done, 1_000))]);
    const tail = output.slice(-TAIL_LINES).join('\n');
    throw new Error(`${why}\n--- last lines of ${name} ---\n${tail || '(it wrote nothing)'}`);
  }
  const url = `http://${host}:${port}`;
  return { name, url, port, child, output, stop: () => stopChild(child) };
}
