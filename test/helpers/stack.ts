/**
 * The whole stack for process-level tests: a seeded SQLite file, the real legacy app, the real TS server
 * and a real front door (the Node edge, or nginx on the generated config), all on loopback.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { forEachLine } from '../../gateway/process/index.ts';
import { loadRouteTable } from '../../gateway/routes/index.ts';
import { nginxSupport, writeNginxConfig } from '../../gateway/nginx/index.ts';
import { freePort, internalEnv, ROOT, seedDatabase, startEdge, startLegacy, startTs, stopChild, tempDir, waitForPort, type RunningProcess } from './processes.ts';

export { seedDatabase, startEdge, startLegacy, startTs };

export type FrontDoorKind = 'edge' | 'nginx';

export const NGINX = nginxSupport();

export interface Stack {
  readonly db: string;
  readonly dir: string;
  readonly legacy: RunningProcess;
  readonly ts: RunningProcess;
  readonly front: { readonly url: string; stop(): Promise<void> };
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/** nginx on the config generated from the table, in a prefix of its own under `dir`. */
export async function startNginx(dir: string, env: Record<string, string>): Promise<{ url: string; output: string[]; stop(): Promise<void> }> {
  const port = await freePort();
  const table = loadRouteTable(env.ROUTES ?? join(ROOT, 'routes.yaml'), { ...process.env, ...env });
  const conf = writeNginxConfig(table, { listenHost: '127.0.0.1', listenPort: port, prefix: dir, outDir: dir });
  const child = spawn(NGINX.ok ? NGINX.binary : 'nginx', ['-p', dir, '-e', 'stderr', '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  forEachLine(child.stdout, (line) => output.push(line));
  forEachLine(child.stderr, (line) => output.push(line));
  if (!(await waitForPort('127.0.0.1', port, 10_000))) {
    child.kill('SIGKILL');
    throw new Error(`nginx did not start:\n${output.join('\n')}`);
  }
  return { url: `http://127.0.0.1:${port}`, output, stop: () => stopChild(child) };
}

/**
 * The repository's routes.yaml with every canary route made `next`, written into `dir`: for a suite about
 * what the TS handler answers, which must not depend on which side a user's canary bucket picks.
 *
 * @example
 * const stack = await startStack('edge', { ROUTES: routesAsNext(dir) });
 */
export function routesAsNext(dir: string): string {
  const file = join(dir, 'routes-as-next.yaml');
  writeFileSync(file, readFileSync(join(ROOT, 'routes.yaml'), 'utf8').replace(/^(\s+)mode: canary\n\s+percent: [0-9.]+\n/gm, '$1mode: next\n'));
  return file;
}

/** Start legacy, TS and the chosen front door on a fresh tiny database. */
export async function startStack(kind: FrontDoorKind = 'edge', extraEnv: Record<string, string> = {}): Promise<Stack> {
  const { dir, cleanup } = tempDir();
  const db = seedDatabase(dir);
  // The gateway's state (fallbacks counted in the evidence store) stays in the stack's directory.
  const env: Record<string, string> = { FORUM_DB: db, LOG_LEVEL: 'warn', STRANGLER_STATE_DIR: join(dir, 'state'), ...(await internalEnv()), ...extraEnv };
  const legacy = await startLegacy(env);
  env.LEGACY_PORT = String(legacy.port);
  const ts = await startTs(env).catch(async (err: unknown) => {
    await legacy.stop();
    throw err;
  });
  env.TS_PORT = String(ts.port);
  const front = await (kind === 'edge' ? startEdge(env) : startNginx(dir, env)).catch(async (err: unknown) => {
    await Promise.all([legacy.stop(), ts.stop()]);
    throw err;
  });
  return {
    db,
    dir,
    legacy,
    ts,
    front,
    env,
    async stop() {
      await Promise.all([front.stop(), ts.stop(), legacy.stop()]);
      cleanup();
    },
  };
}
