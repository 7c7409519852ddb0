/**
 * Zero failed requests while a route flips: `strangler set` moves /api/v1/threads between legacy and next
 * 20 times while keep-alive clients read a thread through the front door without pause, and every answer
 * is counted, socket errors included. Once through the Node edge and once through nginx (when installed).
 * No flip reloads nginx (a mode change leaves its routing as it is), so no kept-alive client connection is
 * cut; the side that answers (X-Strangler-Answered-By) follows the flips.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, ROOT, tempDir } from '../helpers/processes.ts';
import { NGINX } from '../helpers/stack.ts';
import { runUp, type Up } from '../helpers/up.ts';

const FLIPS = 20;
const CLIENTS = 6;
const ROUTE = '/api/v1/threads';
const PATH = '/api/v1/threads/1';

interface Load {
  readonly counts: { ok: number; failed: number; bySide: Record<string, number> };
  readonly failures: string[];
  /** Answers in arrival order: which side answered. */
  readonly sides: string[];
  stop(): Promise<void>;
}

/** `clients` keep-alive connections each sending GET PATH one after another until stopped. */
function steadyLoad(frontUrl: string, clients: number): Load {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const { hostname, port } = new URL(frontUrl);
  const counts = { ok: 0, failed: 0, bySide: {} as Record<string, number> };
  const failures: string[] = [];
  const sides: string[] = [];
  let running = true;
  const once = (): Promise<void> =>
    new Promise((done) => {
      const req = request({ host: hostname, port, path: PATH, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          const side = String(res.headers['x-strangler-answered-by'] ?? 'none');
          if (res.statusCode === 200) counts.ok++;
          else {
            counts.failed++;
            failures.push(`status ${res.statusCode} from ${side}`);
          }
          counts.bySide[side] = (counts.bySide[side] ?? 0) + 1;
          sides.push(side);
          done();
        });
        res.on('error', (err) => {
          counts.failed++;
          failures.push(`response error: ${err.message}`);
          done();
        });
      });
      req.on('error', (err) => {
        counts.failed++;
        failures.push(`socket error: ${err.message}`);
        done();
      });
      req.end();
    });
  const loops = Array.from({ length: clients }, async () => {
    while (running) await once();
  });
  return {
    counts,
    failures,
    sides,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

/** Run a strangler command without blocking this process: the load keeps going while it runs. */
const strangler = (args: string[], env: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string }> =>
  new Promise((done) => {
    execFile(process.execPath, [join(ROOT, 'bin/strangler.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) =>
      done({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });

const doors: ('edge' | 'nginx')[] = ['edge', ...(NGINX.ok ? (['nginx'] as const) : [])];

describe.each(doors)('flipping a route 20 times through the %s front door', { timeout: 600_000 }, (door) => {
  const { dir, cleanup } = tempDir('strangler-flip-');
  let up: Up | undefined;
  afterAll(async () => {
    await up?.stop();
    cleanup();
  });

  it('answers every request, and the answering side follows each flip', async () => {
    const routes = join(dir, 'routes.yaml');
    copyFileSync(join(ROOT, 'routes.yaml'), routes);
    const env = {
      ROUTES: routes,
      STRANGLER_STATE_DIR: join(dir, 'state'),
      FORUM_DB: join(dir, 'forum.db'),
      STRANGLER_FRONT_DOOR: door,
      STRANGLER_ANSWERED_BY: '1',
      FRONT_PORT: String(await freePort()),
      TS_PORT: String(await freePort()),
      LEGACY_PORT: '0',
      TS_WORKERS: door === 'nginx' ? '2' : '1',
    };
    up = runUp(env);
    const [, front] = await up.waitFor(/front door\s+(http:\/\/\S+)/, 120_000);
    const load = steadyLoad(front!, CLIENTS);
    const agreedMs: number[] = [];
    try {
      for (let flip = 0; flip < FLIPS; flip++) {
        const toLegacy = flip % 2 === 0;
        const args = toLegacy ? ['set', ROUTE, 'legacy', '--why', `flip ${flip}`] : ['set', ROUTE, 'next', '--handler', 'threads', '--methods', 'GET', '--why', `flip ${flip}`];
        const result = await strangler(args, env);
        expect(result.status, result.stdout + result.stderr).toBe(0);
        expect(result.stdout).toContain('All processes agree');
        agreedMs.push(Number(/agreed after (\d+) ms/.exec(result.stdout)?.[1]));
        // Answers sent after every process agreed come from the new side.
        const from = load.sides.length;
        const side = toLegacy ? 'legacy' : 'ts';
        while (!load.sides.slice(from).includes(side)) await new Promise((r) => setTimeout(r, 10));
        expect(load.counts.failed, load.failures.join('\n')).toBe(0);
      }
    } finally {
      await load.stop();
    }
    const status = await strangler(['status'], env);
    expect(status.status, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toContain('All processes agree');
    if (door === 'nginx') expect(status.stdout).toMatch(/nginx .* yes: serves its config of revision 0-[0-9a-f]{8}, whose routing equals the live one's/);
    const log = await strangler(['log', '--route', ROUTE, '--json'], env);
    expect((JSON.parse(log.stdout) as unknown[]).length).toBe(FLIPS);
    const sorted = [...agreedMs].sort((a, b) => a - b);
    console.log(
      `${door}: ${FLIPS} flips, ${load.counts.ok} answered, ${load.counts.failed} failed, by side ${JSON.stringify(load.counts.bySide)}; ` +
        `command to agreement p50 ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`,
    );
    expect(load.counts.failed, load.failures.join('\n')).toBe(0);
    expect(load.counts.bySide.legacy).toBeGreaterThan(0);
    expect(load.counts.bySide.ts).toBeGreaterThan(0);
    expect(readFileSync(routes, 'utf8')).toMatch(/^revision: 20$/m);
  });
});
