/**
 * `strangler up`: the whole stack on one machine. Starts the legacy app as the stack file says (`stack.yaml`,
 * or STRANGLER_STACK), the TS server and a front door, prints the URLs, and supervises them: a child that
 * dies is restarted with backoff while the others keep serving; after too many fast crashes in a row it
 * gives up and stops the stack. Ctrl-C or SIGTERM stops every child. Both sides get the internal
 * endpoints' address and a fresh STRANGLER_INTERNAL_TOKEN per run (unless the environment sets one).
 *
 * @example
 * FRONT_PORT=9080 npx strangler up
 * STRANGLER_STACK=examples/flask/stack.yaml npx strangler up
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { internalTokenFrom } from '../internal/index.ts';
import { freePort, isListening, spawnServer, startApp, supervise, type RunningProcess, type Supervised } from '../process/index.ts';
import { loadRouteTable, RouteTableError } from '../routes/index.ts';
import { startFrontDoor } from './front-door.ts';
import { loadStackFile, resolveLegacy, StackFileError, type LegacySpec } from './stack-file.ts';

const HOST = '127.0.0.1';
const PORT_DEFAULTS = { FRONT_PORT: '8080', TS_PORT: '8081', INTERNAL_PORT: '8082', LEGACY_PORT: '8090' } as const;

export interface UpOptions {
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;
  readonly print?: (line: string) => void;
}

/** Run the stack until a signal or a give-up; resolves with the process exit code. */
export async function up({ root, env: processEnv, print = (line) => process.stdout.write(`${line}\n`) }: UpOptions): Promise<number> {
  const fail = (message: string): number => {
    print(`strangler up: ${message}`);
    return 1;
  };
  let stack;
  try {
    stack = loadStackFile(resolve(processEnv.STRANGLER_STACK ?? 'stack.yaml'));
  } catch (err) {
    if (err instanceof StackFileError) return fail(err.message);
    throw err;
  }
  const env: Record<string, string> = { ...PORT_DEFAULTS, LEGACY_HOST: HOST, TS_HOST: HOST, INTERNAL_HOST: HOST, FRONT_HOST: HOST, ...stack.env, ...definedOnly(processEnv) };
  const routesFile = env.ROUTES ? resolve(env.ROUTES) : stack.routes;
  env.ROUTES = routesFile;

  for (const name of Object.keys(PORT_DEFAULTS) as (keyof typeof PORT_DEFAULTS)[]) {
    const port = Number(env[name]);
    if (!Number.isInteger(port) || port < 0 || port > 65535) return fail(`${name}=${env[name]} is not a port; use a number from 0 to 65535`);
    if (port !== 0 && (await isListening(HOST, port))) {
      return fail(`port ${port} (${name}) is already in use on ${HOST}; stop what holds it or start with ${name}=<another port>`);
    }
  }
  // Legacy learns where to call before the TS server exists, and an app started as it is cannot say which
  // port it bound, so both ports are fixed up front.
  if (env.INTERNAL_PORT === '0') env.INTERNAL_PORT = String(await freePort(HOST));
  if (env.LEGACY_PORT === '0') env.LEGACY_PORT = String(await freePort(env.LEGACY_HOST));
  env.STRANGLER_INTERNAL_URL ??= `http://${env.INTERNAL_HOST}:${env.INTERNAL_PORT}`;
  // One secret per run, shared by both sides only through their environment.
  env.STRANGLER_INTERNAL_TOKEN ??= randomBytes(32).toString('hex');
  const tokenCheck = internalTokenFrom(env);
  if (!tokenCheck.ok) return fail(tokenCheck.reason);
  try {
    loadRouteTable(routesFile, env);
  } catch (err) {
    if (err instanceof RouteTableError) return fail(`the route table is invalid, nothing was started:\n${err.message}`);
    throw err;
  }
  let legacy: LegacySpec;
  try {
    legacy = resolveLegacy(stack, env);
  } catch (err) {
    if (err instanceof StackFileError) return fail(err.message);
    throw err;
  }
  // Python block-buffers a pipe: without this an app's last words before a crash would never be shown.
  const legacyEnv = { PYTHONUNBUFFERED: '1', ...env, ...legacy.env };

  const { prepare } = legacy;
  if (prepare && !existsSync(prepare.creates)) {
    mkdirSync(dirname(prepare.creates), { recursive: true });
    print(`preparing the legacy app: ${prepare.command.join(' ')}`);
    const [command, ...args] = prepare.command;
    const result = spawnSync(command, args, { cwd: legacy.cwd, env: legacyEnv, stdio: 'inherit' });
    if (result.status !== 0) return fail(`preparing the legacy app failed (${prepare.command.join(' ')} exited with ${result.status ?? result.error?.message})`);
  }

  const echo = (name: string) => (line: string) => print(`${name.padEnd(6)} | ${line}`);
  const starters: Record<'legacy' | 'ts' | 'front', () => Promise<RunningProcess>> = {
    legacy: () =>
      startApp({ name: 'legacy', command: legacy.command, cwd: legacy.cwd, env: legacyEnv, host: env.LEGACY_HOST!, port: Number(env.LEGACY_PORT), ...(legacy.httpPath ? { httpPath: legacy.httpPath } : {}), readyTimeoutMs: legacy.readyTimeoutMs, onLine: echo('legacy') }),
    ts: () => spawnServer({ name: 'ts', command: process.execPath, args: ['--import', 'tsx', join(root, 'gateway/server/main.ts')], cwd: root, env, onLine: echo('ts'), detached: true }),
    front: () => startFrontDoor(root, env, echo),
  };

  const running: Supervised[] = [];
  let stopping = false;
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((done) => (finish = done));
  const stopAll = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    for (const child of [...running].reverse()) await child.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    finish(code);
  };
  function onSignal(): void {
    print('stopping the stack...');
    void stopAll(0);
  }
  // Children run in process groups of their own, so a signal to `up` must reach them through `up`, from the start.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const startSupervised = async (name: keyof typeof starters): Promise<Supervised | undefined> => {
    const first = await starters[name]();
    const supervised = supervise({
      name: first.name === 'Node edge' ? 'edge' : first.name,
      first,
      start: starters[name],
      policy: stack.restart,
      print,
      onGiveUp: (message) => {
        print(`strangler up: ${message}\nstopping the stack.`);
        void stopAll(1);
      },
    });
    running.push(supervised);
    if (!stopping) return supervised;
    await supervised.stop(); // a signal arrived while it was starting
    return undefined;
  };

  try {
    const legacyProc = await startSupervised('legacy');
    if (!legacyProc) return finished;
    const ts = await startSupervised('ts');
    if (!ts) return finished;
    env.TS_PORT = String(ts.current.port);
    const front = await startSupervised('front');
    if (!front) return finished;
    env.FRONT_PORT = String(front.current.port);
    print('');
    print('Strangler is up:');
    print(`  front door  ${front.current.url}  (${front.current.name}, pid ${front.current.child.pid})   <- open this one`);
    print(`  TS server   ${ts.current.url}  (pid ${ts.current.child.pid}); internal endpoints on ${ts.current.internalUrl ?? env.STRANGLER_INTERNAL_URL}, token in its environment`);
    print(`  legacy      ${legacyProc.current.url}  (pid ${legacyProc.current.child.pid})`);
    print(`  routes      ${routesFile}`);
    print('A child that dies is restarted. Press Ctrl-C to stop.');
  } catch (err) {
    if (stopping) return finished;
    await stopAll(1);
    return fail(`${(err as Error).message}\nstopped everything that had started.`);
  }
  return finished;
}

const definedOnly = (env: NodeJS.ProcessEnv): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
