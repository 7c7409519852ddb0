/**
 * `strangler up`: the whole stack on one machine. Starts the legacy app (as `stack.yaml` says), the TS
 * server and a front door (nginx when it is installed with the headers-more module, the Node edge
 * otherwise; STRANGLER_FRONT_DOOR=nginx|edge forces one), prints the URLs, and stops every child on
 * Ctrl-C. Both sides get the internal endpoints' address and a fresh STRANGLER_INTERNAL_TOKEN per run
 * (unless the environment sets one). When a child dies the whole stack stops and says which one and why.
 *
 * @example
 * FRONT_PORT=9080 npx strangler up
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, readConfig, type GatewayConfig } from '../config/index.ts';
import { internalTokenFrom } from '../internal/index.ts';
import { forEachLine, freePort, isListening, spawnServer, stopChild, waitForPort } from '../process/index.ts';
import { loadRouteTable, RouteTableError } from '../routes/index.ts';
import { nginxSupport, writeNginxConfig } from '../nginx/index.ts';
import { loadStackFile, StackFileError } from './stack-file.ts';

const HOST = '127.0.0.1';
const SIGNAL_GRACE_MS = 200;

interface Child {
  readonly name: string;
  readonly child: ChildProcess;
  readonly output: string[];
}

export interface UpOptions {
  /** The gateway's own files (gateway/, nginx/). */
  readonly root: string;
  /** The app's directory: relative paths in the configuration resolve here, and the legacy app runs here. Default `root`. */
  readonly cwd?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly print?: (line: string) => void;
}

/** Run the stack until a signal or a child's death; resolves with the process exit code. */
export async function up({ root, cwd = root, env: processEnv, print = (line) => process.stdout.write(`${line}\n`) }: UpOptions): Promise<number> {
  const fail = (message: string): number => {
    print(`strangler up: ${message}`);
    return 1;
  };
  let stack;
  let config: GatewayConfig;
  let table;
  try {
    stack = loadStackFile(readConfig(processEnv, cwd).stackFile, processEnv);
    // The stack file's env holds defaults for the whole stack, so the configuration is read again with them.
    config = readConfig(stack.env, cwd);
    table = loadRouteTable(config.routesFile, stack.env);
  } catch (err) {
    if (err instanceof StackFileError || err instanceof ConfigError) return fail(err.message);
    if (err instanceof RouteTableError) return fail(`the route table is invalid, nothing was started:\n${err.message}`);
    throw err;
  }
  const routesFile = config.routesFile;
  // The legacy app is told where to listen; the TS server reads its address from the table itself.
  const { legacy: legacyBackend, ts: tsBackend } = table.backends;
  // Paths go to the children resolved, so each reads the same files wherever it runs.
  const paths = { ROUTES: routesFile, STRANGLER_PAGES_DIR: config.pagesDir, ...(config.servicesModule ? { STRANGLER_SERVICES: config.servicesModule } : {}) };
  const env: Record<string, string> = { ...stack.env, ...paths, LEGACY_HOST: legacyBackend.host, LEGACY_PORT: String(legacyBackend.port) };

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
  // One secret per run, shared by both sides only through their environment.
  env.STRANGLER_INTERNAL_TOKEN ??= randomBytes(32).toString('hex');
  const tokenCheck = internalTokenFrom(env);
  if (!tokenCheck.ok) return fail(tokenCheck.reason);

  const { prepare } = stack.legacy;
  if (prepare && !existsSync(resolve(cwd, prepare.creates))) {
    mkdirSync(dirname(resolve(cwd, prepare.creates)), { recursive: true });
    print(`preparing the legacy app: ${prepare.command.join(' ')}`);
    const [command, ...args] = prepare.command as [string, ...string[]];
    const result = spawnSync(command, args, { cwd, env: { ...processEnv, ...env }, stdio: 'inherit' });
    if (result.status !== 0) return fail(`preparing the legacy app failed (${prepare.command.join(' ')} exited with ${result.status ?? result.error?.message})`);
  }

  const children: Child[] = [];
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    stopping = true;
    for (const { child } of [...children].reverse()) await stopChild(child);
  };
  const echo = (name: string) => (line: string) => print(`${name.padEnd(6)} | ${line}`);

  try {
    const [legacyCommand, ...legacyArgs] = stack.legacy.command as [string, ...string[]];
    const legacy = await spawnServer({ name: 'legacy', command: legacyCommand, args: legacyArgs, cwd, env, onLine: echo('legacy') });
    children.push(legacy);
    env.LEGACY_PORT = String(legacy.port);

    const ts = await spawnServer({ name: 'ts', command: process.execPath, args: ['--import', 'tsx', join(root, 'gateway/server/main.ts')], cwd, env, onLine: echo('ts') });
    children.push(ts);
    env.TS_PORT = String(ts.port);

    const front = await startFrontDoor(root, config, env, echo);
    children.push(front);
    print('');
    print('Strangler is up:');
    print(`  front door  ${front.url}  (${front.name}, pid ${front.child.pid})   <- open this one`);
    print(`  TS server   ${ts.url}  (pid ${ts.child.pid}); internal endpoints on ${ts.internalUrl ?? env.STRANGLER_INTERNAL_URL}, token in its environment`);
    print(`  legacy      ${legacy.url}  (pid ${legacy.child.pid})`);
    print(`  routes      ${routesFile}`);
    print('Press Ctrl-C to stop.');
  } catch (err) {
    await stopAll();
    return fail(`${(err as Error).message}\nstopped everything that had started.`);
  }

  return new Promise((done) => {
    const onSignal = (): void => {
      if (stopping) return;
      print('stopping the stack...');
      void stopAll().then(() => done(0));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    for (const { name, child, output } of children) {
      child.once('exit', (code, signal) => setTimeout(() => {
        // Ctrl-C in a terminal signals the children too; give our own SIGINT handler the first word.
        if (stopping) return;
        print(`strangler up: ${name} exited unexpectedly (code ${code}, signal ${signal}); stopping the stack.`);
        print(`--- last lines of ${name} ---\n${output.slice(-15).join('\n')}`);
        void stopAll().then(() => done(1));
      }, SIGNAL_GRACE_MS));
    }
  });
}

type FrontDoor = Child & { readonly url: string };

async function startFrontDoor(root: string, config: GatewayConfig, env: Record<string, string>, echo: (name: string) => (line: string) => void): Promise<FrontDoor> {
  const wanted = config.frontDoor;
  const support = nginxSupport();
  if (wanted === 'nginx' && !support.ok) throw new Error(`STRANGLER_FRONT_DOOR=nginx but ${support.reason}`);
  if (wanted === 'edge' || !support.ok) {
    if (!support.ok) echo('up')(`using the Node edge as front door: ${support.reason}`);
    const edge = await spawnServer({ name: 'edge', command: process.execPath, args: ['--import', 'tsx', join(root, 'gateway/edge/main.ts')], cwd: root, env, onLine: echo('edge') });
    return { ...edge, name: 'Node edge' };
  }
  const { host, port } = config.front;
  if (port === 0) throw new Error('nginx needs a fixed FRONT_PORT (0 only works with STRANGLER_FRONT_DOOR=edge)');
  const table = loadRouteTable(config.routesFile, env);
  const prefix = join(root, 'nginx/run');
  mkdirSync(prefix, { recursive: true });
  const conf = writeNginxConfig(table, { listenHost: host, listenPort: port, prefix, pagesDir: config.pagesDir });
  const child = spawn(support.binary, ['-p', prefix, '-e', 'stderr', '-c', conf, '-g', 'daemon off;'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const onLine = (line: string): void => {
    output.push(line);
    echo('nginx')(line);
  };
  forEachLine(child.stdout, onLine);
  forEachLine(child.stderr, onLine);
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`nginx exited (code ${code}) before listening:\n${output.join('\n')}`))));
  exited.catch(() => undefined); // after start-up, up() watches the exit itself
  const listening = waitForPort(host, port).then((ok) => {
    if (!ok) throw new Error(`nginx did not listen on port ${port}:\n${output.join('\n')}`);
  });
  await Promise.race([listening, exited]);
  return { name: 'nginx', child, output, url: `http://${host}:${port}` };
}
