/**
 * `strangler up` (what `npm start` runs): the whole stack from one command, its URLs printed, every child
 * stopped on Ctrl-C, and a clear word when a port is taken or a child dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { forEachLine } from '../../gateway/process/index.ts';
import { NGINX } from '../helpers/stack.ts';
import { freePort, isListening, ROOT, tempDir } from '../helpers/processes.ts';

interface Up {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<number | null>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

function runUp(env: Record<string, string>): Up {
  const child = spawn(process.execPath, [join(ROOT, 'bin/strangler.js'), 'up'], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', INTERNAL_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const waiters = new Set<() => void>();
  const onLine = (line: string): void => {
    output.push(line);
    waiters.forEach((check) => check());
  };
  forEachLine(child.stdout!, onLine);
  forEachLine(child.stderr!, onLine);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => {
    waiters.forEach((check) => check());
    done(code);
  }));
  const waitFor = (pattern: RegExp, timeoutMs = 40_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${output.join('\n')}`)), timeoutMs);
      const finish = (err: Error | null, match?: RegExpMatchArray): void => {
        clearTimeout(timer);
        waiters.delete(check);
        if (err) reject(err);
        else resolve(match!);
      };
      const check = (): void => {
        const match = output.join('\n').match(pattern);
        if (match) finish(null, match);
        else if (child.exitCode !== null) finish(new Error(`strangler up exited (${child.exitCode}) without a line matching ${pattern}:\n${output.join('\n')}`));
      };
      waiters.add(check);
      check();
    });
  return { child, output, exited, waitFor };
}

const portOf = (url: string): number => Number(new URL(url).port);

describe('strangler up', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const start = (env: Record<string, string>): Up => {
    const { dir, cleanup } = tempDir();
    const up = runUp({ FORUM_DB: join(dir, 'forum.db'), ...env });
    cleanups.push(cleanup, async () => {
      if (up.child.exitCode === null) {
        up.child.kill('SIGKILL');
        await up.exited;
      }
    });
    return up;
  };

  it('seeds an empty database, starts legacy, TS and the edge, prints their URLs and stops them all on SIGINT', async () => {
    const up = start({ STRANGLER_FRONT_DOOR: 'edge', FRONT_PORT: '0', TS_PORT: '0', LEGACY_PORT: '0' });
    const [, front] = await up.waitFor(/front door\s+(http:\/\/\S+)/);
    const [, ts] = await up.waitFor(/TS server\s+(http:\/\/\S+)/);
    const [, legacy] = await up.waitFor(/legacy\s+(http:\/\/\S+)/);
    expect(up.output.join('\n')).toMatch(/seeded/);

    const home = await fetch(`${front}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toMatch(/<h1>Boards<\/h1>/);
    const boards = await fetch(`${front}/api/v1/boards`);
    expect(boards.status).toBe(200);

    up.child.kill('SIGINT');
    expect(await up.exited).toBe(0);
    for (const url of [front!, ts!, legacy!]) expect(await isListening('127.0.0.1', portOf(url))).toBe(false);
  });

  it('refuses to start when a port is taken, naming the port and the variable to change', async () => {
    const holder: Server = createServer();
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
    cleanups.push(() => new Promise<void>((done) => holder.close(() => done())));
    const taken = (holder.address() as { port: number }).port;
    const up = start({ STRANGLER_FRONT_DOOR: 'edge', FRONT_PORT: String(taken), TS_PORT: '0', LEGACY_PORT: '0' });
    expect(await up.exited).toBe(1);
    expect(up.output.join('\n')).toContain(`port ${taken} (FRONT_PORT) is already in use`);
  });

  it('stops the whole stack and names the child when one of them dies', async () => {
    const up = start({ STRANGLER_FRONT_DOOR: 'edge', FRONT_PORT: '0', TS_PORT: '0', LEGACY_PORT: '0' });
    const [, front] = await up.waitFor(/front door\s+(http:\/\/\S+)/);
    const [, ts, tsPid] = await up.waitFor(/TS server\s+(http:\/\/\S+)\s+\(pid (\d+)\)/);
    process.kill(Number(tsPid), 'SIGKILL');
    expect(await up.exited).toBe(1);
    expect(up.output.join('\n')).toMatch(/ts exited unexpectedly \(code null, signal SIGKILL\); stopping the stack/);
    expect(await isListening('127.0.0.1', portOf(front!))).toBe(false);
    expect(await isListening('127.0.0.1', portOf(ts!))).toBe(false);
  });

  it.skipIf(!NGINX.ok)('uses nginx as the front door when it is installed', async () => {
    const port = await freePort();
    const up = start({ FRONT_PORT: String(port), TS_PORT: '0', LEGACY_PORT: '0' });
    await up.waitFor(/front door\s+http:\/\/\S+\s+\(nginx/);
    const boards = await fetch(`http://127.0.0.1:${port}/api/v1/boards`);
    expect(boards.status).toBe(200);
    up.child.kill('SIGINT');
    expect(await up.exited).toBe(0);
    expect(await isListening('127.0.0.1', port)).toBe(false);
  });
});
