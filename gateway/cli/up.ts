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
import { internalTokenFrom } from '../internal/index.ts';
import { forEachLine, freePort, isListening, spawnServer, stopChild, waitForPort } from '../process/index.ts';
import { loadRouteTable, RouteTableError } from '../routes/index.ts';
import { nginxSupport, writeNginxConfig } from '../nginx/index.ts';
import { loadStackFile, StackFileError } from './stack-file.ts';

const HOST = '127.0.0.1';
const SIGNAL_GRACE_MS = 200;
const PORT_DEFAULTS = { FRONT_PORT: '8080', TS_PORT: '8081', INTERNAL_PORT: '8082', LEGACY_PORT: '8090' } as const;

interface Child {
  readonly name: string;
  readonly child: ChildProcess;
  readonly output: string[];
}

export interface UpOptions {
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;
  readonly print?: (line: string) => void;
}

/** Run the stack until a signal or a child's death; resolves with the process exit code. */
export async function up({ root, env: processEnv, print = (line) => process.stdout.write(`${line}\n`) }: UpOptions): Promise<number> {
  const fail = (message: string): number => {
    print(`strangler up: ${message}`);
    return 1;
  };
  let stack;
  try {
    stack = loadStackFile(resolve(root, processEnv.STRANGLER_STACK ?? 'stack.yaml'), processEnv);
  } catch (err) {
    if (err instanceof StackFileError) return fail(err.message);
    throw err;
  }
  const env: Record<string, string> = { ...PORT_DEFAULTS, LEGACY_HOST: HOST, TS_HOST: HOST, INTERNAL_HOST: HOST, FRONT_HOST: HOST, ...stack.env };
  const routesFile = resolve(root, env.ROUTES ?? 'routes.yaml');
  env.ROUTES = routesFile;

  for (const name of Object.keys(PORT_DEFAULTS) as (keyof typeof PORT_DEFAULTS)[]) {
    const port = Number(env[name]);
    if (!Number.isInteger(port) || port < 0 || port > 65535) return fail(`${name}=${env[name]} is not a port; use a number from 0 to 65535`);
    if (port !== 0 && (await isListening(HOST, port))) {
      return fail(`port ${port} (${name}) is already in use on ${HOST}; stop what holds it or start with ${name}=<another port>`);
    }
  }
  // Legacy learns where to call before the TS server exists, so the internal port is fixed up front.
  if (env.INTERNAL_PORT === '0') env.INTERNAL_PORT = String(await freePort(HOST));
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

  const { prepare } = stack.legacy;
  if (prepare && !existsSync(resolve(root, prepare.creates))) {
    mkdirSync(dirname(resolve(root, prepare.creates)), { recursive: true });
    print(`preparing the legacy app: ${prepare.command.join(' ')}`);
    const [command, ...args] = prepare.command as [string, ...string[]];
    const result = spawnSync(command, args, { cwd: root, env: { ...processEnv, ...env }, stdio: 'inherit' });
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
    const legacy = await spawnServer({ name: 'legacy', command: legacyCommand, args: legacyArgs, cwd: root, env, onLine: echo('legacy') });
    children.push(legacy);
    env.LEGACY_PORT = String(legacy.port);

    const ts = await spawnServer({ name: 'ts', command: process.execPath, args: ['--import', 'tsx', join(root, 'gateway/server/main.ts')], cwd: root, env, onLine: echo('ts') });
    children.push(ts);
    env.TS_PORT = String(ts.port);

    const front = await startFrontDoor(root, env, echo);
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

async function startFrontDoor(root: string, env: Record<string, string>, echo: (name: string) => (line: string) => void): Promise<FrontDoor> {
  const wanted = env.STRANGLER_FRONT_DOOR ?? 'auto';
  const support = nginxSupport();
  if (wanted !== 'auto' && wanted !== 'nginx' && wanted !== 'edge') throw new Error(`STRANGLER_FRONT_DOOR=${wanted}: use auto, nginx or edge`);
  if (wanted === 'nginx' && !support.ok) throw new Error(`STRANGLER_FRONT_DOOR=nginx but ${support.reason}`);
  if (wanted === 'edge' || !support.ok) {
    if (!support.ok) echo('up')(`using the Node edge as front door: ${support.reason}`);
    const edge = await spawnServer({ name: 'edge', command: process.execPath, args: ['--import', 'tsx', join(root, 'gateway/edge/main.ts')], cwd: root, env, onLine: echo('edge') });
    return { ...edge, name: 'Node edge' };
  }
  const port = Number(env.FRONT_PORT);
  if (port === 0) throw new Error('nginx needs a fixed FRONT_PORT (0 only works with STRANGLER_FRONT_DOOR=edge)');
  const table = loadRouteTable(env.ROUTES ?? 'routes.yaml', env);
  const prefix = join(root, 'nginx/run');
  mkdirSync(prefix, { recursive: true });
  const conf = writeNginxConfig(table, { listenHost: env.FRONT_HOST ?? HOST, listenPort: port, prefix });
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
  const listening = waitForPort(env.FRONT_HOST ?? HOST, port).then((ok) => {
    if (!ok) throw new Error(`nginx did not listen on port ${port}:\n${output.join('\n')}`);
  });
  await Promise.race([listening, exited]);
  return { name: 'nginx', child, output, url: `http://${env.FRONT_HOST ?? HOST}:${port}` };
}
