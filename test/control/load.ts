/**
 * Steady keep-alive load through a front door, every answer counted (socket errors included) with the
 * side that answered it, and the `strangler` command run without blocking the load.
 *
 * @example
 * const load = steadyLoad(frontUrl, '/api/v1/threads/1', 6);
 * await strangler(['set', '/api/v1/threads', 'legacy', '--why', 'test'], env);
 * await load.stop(); load.counts.failed; // 0
 */
import { answeredBySide } from '../../gateway/access/index.ts';
import { execFile } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { ROOT } from '../helpers/processes.ts';

export interface Load {
  readonly counts: { ok: number; failed: number; bySide: Record<string, number> };
  readonly failures: string[];
  /** Answers in arrival order: which side answered. */
  readonly sides: string[];
  stop(): Promise<void>;
}

/** `clients` keep-alive connections each sending GET `path` (with `headers`) one after another until stopped. */
export function steadyLoad(frontUrl: string, path: string, clients: number, headers: Record<string, string> = {}): Load {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const { hostname, port } = new URL(frontUrl);
  const counts = { ok: 0, failed: 0, bySide: {} as Record<string, number> };
  const failures: string[] = [];
  const sides: string[] = [];
  let running = true;
  const once = (): Promise<void> =>
    new Promise((done) => {
      const req = request({ host: hostname, port, path, agent, headers }, (res) => {
        res.resume();
        res.on('end', () => {
          const side = answeredBySide(res.headers['x-strangler-answered-by']?.toString()) ?? 'none';
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
export const strangler = (args: string[], env: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string }> =>
  new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/strangler.js'), ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 },
      (err, stdout, stderr) => done({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
