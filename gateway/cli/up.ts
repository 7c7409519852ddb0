/**
 * `strangler up`: the whole stack on one machine. Starts the legacy app as the stack file says (`stack.yaml`,
 * or STRANGLER_STACK), the TS server and a front door, prints the URLs, and supervises them: a child that
 * dies is restarted with backoff while the others keep serving; after too many fast crashes in a row it
 * gives up and stops the stack. Ctrl-C, SIGTERM or SIGHUP stops every child. Both sides get the internal
 * endpoints' address and a fresh STRANGLER_INTERNAL_TOKEN per run (unless the environment sets one), and
 * every process names who answered (STRANGLER_ANSWERED_BY=1, unless the environment says 0).
 *
 * @example
 * FRONT_PORT=9080 npx strangler up
 * STRANGLER_STACK=examples/flask/stack.yaml npx strangler up
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, readConfig, type GatewayConfig } from '../config/index.ts';
import { internalTokenFrom } from '../internal/index.ts';
import { freePort, isListening, signalChild, spawnServer, startApp, supervise, type RunningProcess, type Supervised } from '../process/index.ts';
import { loadRouteTable, RouteTableError } from '../routes/index.ts';
import type { RouteTable } from '../routes/types.ts';
import { createStackControl, type FrontDoorProcess } from '../control/stack.ts';
import { serveControl } from '../control/socket.ts';
import { startDemoter, type Demoter } from '../control/demoter.ts';
import { startFrontDoor } from './front-door.ts';
import { loadStackFile, resolveLegacy, StackFileError, type LegacySpec, type StackFile } from './stack-file.ts';
import { stateFileIn } from '../control/state-db.ts';
import { lazyEvidence } from '../evidence/lazy.ts';
import { createLogger } from '../log/index.ts';
import { tailNginxFallbacks, type NginxFallbackTailer } from '../nginx/fallback-tailer.ts';

const HOST = '127.0.0.1';
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
// Enough of a child's last lines to say why it died; the whole log is on the terminal already.
const KEEP_LINES = 200;

export interface UpOptions {
  /** The gateway's own files (gateway/, nginx/). */
  readonly root: string;
  /** The app's directory: relative paths in the configuration resolve here. Default `root`. */
  readonly cwd?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly print?: (line: string) => void;
}

/** Run the stack until a signal or a give-up; resolves with the process exit code. */
export async function up({ root, cwd = root, env: processEnv, print = (line) => process.stdout.write(`${line}\n`) }: UpOptions): Promise<number> {
  const fail = (message: string): number => {
    print(`strangler up: ${message}`);
    return 1;
  };
  let stack: StackFile;
  let config: GatewayConfig;
  let env: Record<string, string>;
  let table: RouteTable;
  let legacy: LegacySpec;
  try {
    stack = loadStackFile(readConfig(processEnv, cwd).stackFile);
    // The stack file's env holds defaults for the whole stack, and its `routes` names the table unless ROUTES does.
    // The local stack says who answered (X-Strangler-Answered-By) unless the environment says 0.
    env = { ROUTES: stack.routes, STRANGLER_ANSWERED_BY: '1', ...stack.env, ...definedOnly(processEnv) };
    config = readConfig(env, cwd);
    // Paths go to the children resolved, so each reads the same files wherever it runs.
    Object.assign(env, { ROUTES: config.routesFile, STRANGLER_PAGES_DIR: config.pagesDir, ...(config.servicesModule ? { STRANGLER_SERVICES: config.servicesModule } : {}) });
    table = loadRouteTable(config.routesFile, env);
    // An app started as it is cannot say which port it bound, so a free one is chosen for it up front.
    if (table.backends.legacy.port === 0) {
      env.LEGACY_PORT = String(await freePort(table.backends.legacy.host));
      table = loadRouteTable(config.routesFile, env);
      if (table.backends.legacy.port === 0)
        return fail(`backends.legacy.url in ${config.routesFile} names port 0; write \${LEGACY_PORT} there, so strangler up can choose the port and tell the app`);
    }
    // The legacy app is told where to listen; the TS server reads its address from the table itself.
    Object.assign(env, { LEGACY_HOST: table.backends.legacy.host, LEGACY_PORT: String(table.backends.legacy.port) });
    legacy = resolveLegacy(stack, env);
  } catch (err) {
    if (err instanceof StackFileError || err instanceof ConfigError) return fail(err.message);
    if (err instanceof RouteTableError) return fail(`the route table is invalid, nothing was started:\n${err.message}`);
    throw err;
  }
  const { legacy: legacyBackend, ts: tsBackend } = table.backends;
  const routesFile = config.routesFile;

  const ports = [
    { port: config.front.port, name: 'FRONT_PORT', where: '' },
    { port: tsBackend.port, name: 'TS_PORT', where: `, backends.ts.url in ${routesFile}` },
    { port: config.internal.port, name: 'INTERNAL_PORT', where: '' },
    { port: legacyBackend.port, name: 'LEGACY_PORT', where: `, backends.legacy.url in ${routesFile}` },
  ];
  for (const { port, name, where } of ports) {
    if (port !== 0 && (await isListening(HOST, port))) {
      return fail(`port ${port} (${name}${where}) is already in use on ${HOST}; stop what holds it or start with ${name}=<another port>`);
    }
  }
  // Legacy learns where to call before the TS server exists, so the internal port is fixed up front.
  env.INTERNAL_PORT = String(config.internal.port || (await freePort(config.internal.host)));
  env.STRANGLER_INTERNAL_URL ??= `http://${config.internal.host}:${env.INTERNAL_PORT}`;
  // Every child stops by itself once `up` is gone, even killed (the project's servers and the forum read it).
  env.STRANGLER_PARENT_PID = String(process.pid);
  // One secret per run, shared by both sides only through their environment.
  env.STRANGLER_INTERNAL_TOKEN ??= randomBytes(32).toString('hex');
  const tokenCheck = internalTokenFrom(env);
  if (!tokenCheck.ok) return fail(tokenCheck.reason);
  // The control socket is taken first: a second stack on the same state directory stops here, before
  // it starts anything. `strangler set/status/...` ask this stack through it.
  let tsSupervised: Supervised | undefined;
  let frontDoor: FrontDoorProcess | undefined;
  const nginxStatusPort = await freePort(HOST);
  let control: Awaited<ReturnType<typeof serveControl>>;
  const stackControl = createStackControl({
    routesFile,
    env,
    token: env.STRANGLER_INTERNAL_TOKEN,
    workers: config.workers,
    ts: () => tsSupervised?.current,
    front: () => frontDoor,
  });
  // Started once every child is up: it demotes a canary or next route on a spike of TS errors and fallbacks.
  let demoter: Demoter | undefined;
  try {
    control = await serveControl(config.stateDir, stackControl);
  } catch (err) {
    return fail((err as Error).message);
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
  const starters: Record<'legacy' | 'ts' | 'front', (signal: AbortSignal) => Promise<RunningProcess>> = {
    legacy: (signal) =>
      startApp({
        name: 'legacy',
        command: legacy.command,
        cwd: legacy.cwd,
        env: legacyEnv,
        host: legacyBackend.host,
        port: legacyBackend.port,
        ...(legacy.httpPath ? { httpPath: legacy.httpPath } : {}),
        readyTimeoutMs: legacy.readyTimeoutMs,
        onLine: echo('legacy'),
        keepLines: KEEP_LINES,
        signal,
      }),
    ts: (signal) =>
      spawnServer({
        name: 'ts',
        command: process.execPath,
        args: ['--import', 'tsx', join(root, 'gateway/server/main.ts')],
        cwd,
        env,
        onLine: echo('ts'),
        detached: true,
        keepLines: KEEP_LINES,
        signal,
      }),
    // A restarted edge listens where the first one did (FRONT_PORT is set once it is known).
    front: async (signal) => (frontDoor = await startFrontDoor(root, readConfig(env, cwd), env, echo, { keepLines: KEEP_LINES, signal, statusPort: nginxStatusPort })),
  };

  const running: Supervised[] = [];
  // Aborted on a stop signal: whatever is still starting is given up at once, not waited for.
  const startup = new AbortController();
  let starting: Promise<unknown> = Promise.resolve();
  let stopping = false;
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((done) => (finish = done));
  // nginx counts nothing itself: its fallbacks are read from its access log into the evidence store.
  let tailer: NginxFallbackTailer | undefined;
  const evidence = lazyEvidence(stateFileIn(config.stateDir), createLogger('up', config.logLevel), { retentionDays: config.evidenceDays });
  const stopAll = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    startup.abort();
    await starting.catch(() => undefined); // a child still starting is killed, not left behind
    await demoter?.stop();
    for (const child of [...running].reverse()) await child.stop();
    await tailer?.stop();
    evidence.close();
    await control.close();
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    finish(code);
  };
  function onSignal(): void {
    print('stopping the stack...');
    void stopAll(0);
  }
  // Children run in process groups of their own, so a terminal's Ctrl-C or hang-up reaches them only
  // through `up`, from the very start.
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  // Should `up` itself end some other way (a bug, process.exit), its children do not outlive it.
  process.once('exit', () => {
    for (const { current } of running) if (current.child.exitCode === null && current.child.signalCode === null) signalChild(current.child, 'SIGKILL');
  });

  const startSupervised = async (name: keyof typeof starters): Promise<Supervised | undefined> => {
    const pending = starters[name](startup.signal);
    starting = pending;
    const first = await pending;
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
    tsSupervised = ts;
    env.TS_PORT = String(ts.current.port);
    const front = await startSupervised('front');
    if (!front) return finished;
    env.FRONT_PORT = String(front.current.port);
    const nginxRun = frontDoor?.nginx;
    if (nginxRun)
      tailer = tailNginxFallbacks({
        file: join(nginxRun.prefix, 'access.log'),
        record: (route, reason) => evidence.recorder()?.fallback(route, 'nginx', reason),
        onBadLine: (line) => print(`up     | skipped an nginx access line that is not JSON: ${line.slice(0, 200)}`),
      });
    demoter = startDemoter({ routesFile, env, control: stackControl, stateFile: stateFileIn(config.stateDir), print });
    print('');
    print('Strangler is up:');
    print(`  front door  ${front.current.url}  (${front.current.name}, pid ${front.current.child.pid})   <- open this one`);
    print(
      `  TS server   ${ts.current.url}  (pid ${ts.current.child.pid}); internal endpoints on ${ts.current.internalUrl ?? env.STRANGLER_INTERNAL_URL}, token in its environment`,
    );
    print(`  legacy      ${legacyProc.current.url}  (pid ${legacyProc.current.child.pid})`);
    print(`  routes      ${routesFile}`);
    print(`  control     ${control.socketPath}  (npx strangler status / set / promote / rollback / diff / reload / log)`);
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
