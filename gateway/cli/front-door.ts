/**
 * The front door `strangler up` starts: nginx when it is installed with the headers-more module, the Node
 * edge otherwise; STRANGLER_FRONT_DOOR=nginx|edge forces one. Called again to restart a front door that
 * died, with the port it had.
 *
 * @example
 * const front = await startFrontDoor(root, config, env, echo);
 * front.url; // http://127.0.0.1:8080
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayConfig } from '../config/index.ts';
import { forEachLine, keepLine, spawnChild, spawnServer, stopChild, waitForPort } from '../process/index.ts';
import { loadRouteTable } from '../routes/index.ts';
import { nginxSupport, writeNginxConfig, type WriteNginxConfigOptions } from '../nginx/index.ts';
import type { FrontDoorProcess } from '../control/stack.ts';

export type Echo = (name: string) => (line: string) => void;

export async function startFrontDoor(
  root: string,
  config: GatewayConfig,
  env: Record<string, string>,
  echo: Echo,
  options: { keepLines?: number; signal?: AbortSignal; statusPort?: number } = {},
): Promise<FrontDoorProcess> {
  const { keepLines, signal, statusPort } = options;
  const wanted = config.frontDoor;
  const support = nginxSupport();
  if (wanted === 'nginx' && !support.ok) throw new Error(`STRANGLER_FRONT_DOOR=nginx but ${support.reason}`);
  if (wanted === 'edge' || !support.ok) {
    if (!support.ok) echo('up')(`using the Node edge as front door: ${support.reason}`);
    const edge = await spawnServer({
      name: 'edge',
      command: process.execPath,
      args: ['--import', 'tsx', join(root, 'gateway/edge/main.ts')],
      cwd: root,
      env,
      onLine: echo('edge'),
      detached: true,
      ...(keepLines ? { keepLines } : {}),
      ...(signal ? { signal } : {}),
    });
    return { ...edge, name: 'Node edge' };
  }
  const { host, port } = config.front;
  if (port === 0) throw new Error('nginx needs a fixed FRONT_PORT (0 only works with STRANGLER_FRONT_DOOR=edge)');
  const table = loadRouteTable(config.routesFile, env);
  // A directory per port for the config, pid file and temp files: two stacks on one checkout (tests run
  // side by side) must not read each other's config; only one nginx can hold a port anyway.
  const prefix = join(root, 'nginx/run', `up-${port}`);
  mkdirSync(prefix, { recursive: true });
  // Kept, so the control plane regenerates the config for this very nginx (its ports, prefix and file).
  const nginxOptions: WriteNginxConfigOptions = {
    listenHost: host,
    listenPort: port,
    prefix,
    outDir: prefix,
    pagesDir: config.pagesDir,
    answeredBy: config.answeredBy,
    ...(statusPort ? { statusPort } : {}),
  };
  const conf = writeNginxConfig(table, nginxOptions);
  const child = spawnChild(support.binary, ['-p', prefix, '-e', 'stderr', '-c', conf, '-g', 'daemon off;'], { cwd: root, env: process.env, detached: true });
  const output: string[] = [];
  const onLine = (line: string): void => {
    keepLine(output, line, keepLines);
    echo('nginx')(line);
  };
  forEachLine(child.stdout!, onLine);
  forEachLine(child.stderr!, onLine);
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`nginx exited (code ${code}) before listening:\n${output.join('\n')}`))));
  exited.catch(() => undefined); // after start-up, the supervisor watches the exit itself
  const listening = waitForPort(host, port).then((ok) => {
    if (!ok) throw new Error(`nginx did not listen on port ${port}:\n${output.join('\n')}`);
  });
  const cancelled = new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(new Error('nginx: start cancelled')), { once: true }));
  cancelled.catch(() => undefined);
  try {
    await Promise.race([listening, exited, cancelled]);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return {
    name: 'nginx',
    child,
    output,
    url: `http://${host}:${port}`,
    port,
    stop: () => stopChild(child),
    ...(statusPort ? { nginx: { binary: support.binary, prefix, conf, statusPort, options: nginxOptions } } : {}),
  };
}
