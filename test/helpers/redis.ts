/**
 * A real redis-server (Debian's) for tests: on a free loopback port, nothing saved to disk, stopped and
 * started again on the same port to play an outage.
 *
 * @example
 * const redis = await startRedis();
 * await redis.stop(); await redis.start(); // the same port, an empty server
 * await redis.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort, stopChild, waitForPort } from '../../gateway/process/index.ts';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
export const HAS_REDIS = existsSync(REDIS_SERVER);

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const output: string[] = [];
  const start = async (): Promise<void> => {
    child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    if (!(await waitForPort('127.0.0.1', port, 10_000))) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}:\n${output.join('')}`);
    }
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    async stop() {
      if (child) await stopChild(child);
      child = undefined;
    },
  };
}
