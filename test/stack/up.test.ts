/**
 * `strangler up` (what `npm start` runs): the whole stack from one command, its URLs printed, every child
 * stopped on Ctrl-C or SIGTERM, a clear word when a port is taken, and a child that dies restarted while the
 * other side keeps serving (or given up on, with its last lines, when it keeps crashing).
 */
import { createServer, type Server } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { NGINX } from '../helpers/stack.ts';
import { runUp, type Up } from '../helpers/up.ts';
import { freePort, isListening, PYTHON, ROOT, tempDir } from '../helpers/processes.ts';

const portOf = (url: string): number => Number(new URL(url).port);

/** A table that sends everything to legacy: the TS server then needs no services and no database. */
const ALL_LEGACY = join(ROOT, 'examples/http-server/routes.yaml');

/** A stack file in `dir` (YAML of `content`); returns its path. */
function writeStack(dir: string, content: object): string {
  const file = join(dir, 'stack.yaml');
  writeFileSync(file, stringify(content));
  return file;
}

/** The forum's own stack file, run from the repository, with a restart delay long enough to look at the gap on a busy machine. */
function forumStack(dir: string, restart: { delay: number }): string {
  const stack = parse(readFileSync(join(ROOT, 'stack.yaml'), 'utf8')) as { legacy: Record<string, unknown> };
  return writeStack(dir, { ...stack, routes: join(ROOT, 'routes.yaml'), legacy: { ...stack.legacy, cwd: ROOT }, restart });
}

// Each test starts the whole stack, some twice over; a busy machine needs more than the default 30 s.
describe('strangler up', { timeout: 120_000 }, () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const scratch = (): string => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    return dir;
  };
  const start = (env: Record<string, string>): Up => {
    const { dir, cleanup } = tempDir();
    const up = runUp({ FORUM_DB: join(dir, 'forum.db'), INTERNAL_PORT: '0', ...env });
    cleanups.push(cleanup, () => up.stop());
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
    // The local stack says who answered, on which route and revision (the edge for legacy, TS for itself).
    expect(home.headers.get('x-strangler-answered-by')).toMatch(/^ts; route="\/"; revision=\d+-[0-9a-f]{8}$/);
    expect((await fetch(`${front}/login`)).headers.get('x-strangler-answered-by')).toMatch(/^legacy; route="\/"; revision=\d+-[0-9a-f]{8}$/);
    expect(boards.headers.get('x-strangler-answered-by')).toMatch(/^ts; route="\/api\/v1\/boards"; revision=\d+-[0-9a-f]{8}$/);

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

  it('restarts legacy after it dies while TS routes keep answering, then serves legacy routes again', async () => {
    const up = start({ STRANGLER_STACK: forumStack(scratch(), { delay: 8 }), STRANGLER_FRONT_DOOR: 'edge', FRONT_PORT: '0', TS_PORT: '0', LEGACY_PORT: '0' });
    const [, front] = await up.waitFor(/front door\s+(http:\/\/\S+)/);
    const [, legacy, legacyPid] = await up.waitFor(/legacy\s+(http:\/\/\S+)\s+\(pid (\d+)\)/);
    process.kill(Number(legacyPid), 'SIGKILL');
    await up.waitFor(/legacy exited unexpectedly \(code null, signal SIGKILL\)[^\n]*\n[\s\S]*restarting legacy in 8\.0 s/);

    // /api/v1/boards is the TS server's, /login is still legacy's (routes.yaml).
    expect((await fetch(`${front}/api/v1/boards`)).status).toBe(200);
    expect((await fetch(`${front}/login`)).status).toBe(502);

    const [, newPid] = await up.waitFor(/legacy is back \(pid (\d+)\)/);
    expect(newPid).not.toBe(legacyPid);
    const login = await fetch(`${front}/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toMatch(/<form[^>]*action="\/login"/);

    up.child.kill('SIGINT');
    expect(await up.exited).toBe(0);
    expect(await isListening('127.0.0.1', portOf(legacy!))).toBe(false);
  });

  it('restarts the TS server after it dies while legacy answers every route (the moved ones by fallback), and stops everything on SIGTERM', async () => {
    const up = start({ STRANGLER_STACK: forumStack(scratch(), { delay: 8 }), STRANGLER_FRONT_DOOR: 'edge', FRONT_PORT: '0', TS_PORT: '0', LEGACY_PORT: '0' });
    const [, front] = await up.waitFor(/front door\s+(http:\/\/\S+)/);
    const [, ts, tsPid] = await up.waitFor(/TS server\s+(http:\/\/\S+)\s+\(pid (\d+)\)/);
    const [, legacy] = await up.waitFor(/legacy\s+(http:\/\/\S+)/);
    process.kill(Number(tsPid), 'SIGKILL');
    await up.waitFor(/restarting ts in 8\.0 s/);

    expect((await fetch(`${front}/login`)).status).toBe(200);
    // A moved route with `fallback`: legacy answers while the TS server is down, and says so.
    const down = await fetch(`${front}/api/v1/boards`);
    expect([down.status, down.headers.get('x-strangler-answered-by')]).toEqual([200, expect.stringMatching(/^legacy; .*; fallback=ts-unreachable$/)]);

    await up.waitFor(/ts is back \(pid \d+\)/);
    const back = await fetch(`${front}/api/v1/boards`);
    expect([back.status, back.headers.get('x-strangler-answered-by')]).toEqual([200, expect.stringMatching(/^ts; /)]);

    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
    for (const url of [front!, ts!, legacy!]) expect(await isListening('127.0.0.1', portOf(url))).toBe(false);
  });

  it('restarts a Node edge that dies on the port it had (and names no side when the environment says STRANGLER_ANSWERED_BY=0)', async () => {
    const up = start({
      STRANGLER_STACK: forumStack(scratch(), { delay: 0.1 }),
      STRANGLER_FRONT_DOOR: 'edge',
      FRONT_PORT: '0',
      TS_PORT: '0',
      LEGACY_PORT: '0',
      STRANGLER_ANSWERED_BY: '0',
    });
    const [, front, edgePid] = await up.waitFor(/front door\s+(http:\/\/\S+)\s+\(Node edge, pid (\d+)\)/);
    process.kill(Number(edgePid), 'SIGKILL');
    const [, backAt] = await up.waitFor(/edge is back \(pid \d+\) at (http:\/\/\S+)/);
    expect(backAt).toBe(front);
    const boards = await fetch(`${front}/api/v1/boards`);
    expect([boards.status, boards.headers.get('x-strangler-answered-by')]).toEqual([200, null]);
    expect((await fetch(`${front}/login`)).headers.get('x-strangler-answered-by')).toBeNull();
  });

  it.skipIf(!NGINX.ok)('restarts an nginx front door that dies on its port, its workers gone with it', async () => {
    const port = await freePort();
    const up = start({ STRANGLER_STACK: forumStack(scratch(), { delay: 0.1 }), FRONT_PORT: String(port), TS_PORT: '0', LEGACY_PORT: '0' });
    const [, masterPid] = await up.waitFor(/front door\s+http:\/\/\S+\s+\(nginx, pid (\d+)\)/);
    process.kill(Number(masterPid), 'SIGKILL');
    await up.waitFor(/nginx is back \(pid \d+\)/);
    expect((await fetch(`http://127.0.0.1:${port}/api/v1/boards`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/login`)).headers.get('x-strangler-answered-by')).toMatch(/^legacy; route="\/"; revision=/);
  });

  it('gives up on a child that keeps crashing as it starts, says why with its last lines, and stops the stack', async () => {
    const dir = scratch();
    const marker = join(dir, 'broken');
    const app = `import os, sys, http.server as h
if os.path.exists(sys.argv[1]): sys.exit('refusing to start: ' + sys.argv[1] + ' exists')
h.HTTPServer(('127.0.0.1', int(os.environ['LEGACY_PORT'])), h.SimpleHTTPRequestHandler).serve_forever()`;
    const stack = writeStack(dir, { routes: ALL_LEGACY, legacy: { command: [PYTHON, '-c', app, marker], cwd: dir }, restart: { delay: 0.1, give_up_after: 3, stable_after: 600 } });
    const up = start({ STRANGLER_STACK: stack, STRANGLER_FRONT_DOOR: 'edge', FRONT_PORT: '0', TS_PORT: '0', LEGACY_PORT: '0' });
    const [, front] = await up.waitFor(/front door\s+(http:\/\/\S+)/);
    const [, legacyPid] = await up.waitFor(/legacy\s+http:\/\/\S+\s+\(pid (\d+)\)/);
    writeFileSync(marker, '');
    process.kill(Number(legacyPid), 'SIGKILL');

    expect(await up.exited).toBe(1);
    const output = up.output.join('\n');
    expect(output).toMatch(/legacy could not be restarted: legacy exited \(code 1, signal null\) before it was ready\n--- last lines of legacy ---\nrefusing to start: \S+ exists/);
    expect(output).toContain('restarting legacy in 0.1 s (crash 1 in a row)');
    expect(output).toContain('restarting legacy in 0.2 s (crash 2 in a row)');
    expect(output).toContain('legacy crashed 3 times in a row, each within 600.0 s of starting; giving up on it.');
    expect(await isListening('127.0.0.1', portOf(front!))).toBe(false);
  });

  it('refuses an app that never listens on LEGACY_PORT within ready.timeout, showing its last output and how to fix it', async () => {
    const dir = scratch();
    const app = "print('serving on port 5000'); import time; time.sleep(60)";
    const stack = writeStack(dir, { routes: ALL_LEGACY, legacy: { command: [PYTHON, '-c', app], ready: { timeout: 1 } } });
    const up = start({ STRANGLER_STACK: stack, STRANGLER_FRONT_DOOR: 'edge', FRONT_PORT: '0', TS_PORT: '0', LEGACY_PORT: '0' });
    expect(await up.exited).toBe(1);
    expect(up.output.join('\n')).toMatch(
      /legacy was not ready within 1 s: nothing accepted a connection on 127\.0\.0\.1:(\d+)\. It must listen on 127\.0\.0\.1:\1: read the port from LEGACY_PORT or put \$\{LEGACY_PORT\} in its command\n--- last lines of legacy ---\nserving on port 5000\n/,
    );
  });

  it('stops at once on SIGINT while the app is still starting, and the app with it', async () => {
    const app = "import os, time; print('starting, pid', os.getpid()); time.sleep(600)";
    const stack = writeStack(scratch(), { routes: ALL_LEGACY, legacy: { command: [PYTHON, '-c', app], ready: { timeout: 600 } } });
    const up = start({ STRANGLER_STACK: stack, STRANGLER_FRONT_DOOR: 'edge', FRONT_PORT: '0', TS_PORT: '0', LEGACY_PORT: '0' });
    const [, appPid] = await up.waitFor(/starting, pid (\d+)/);
    up.child.kill('SIGINT');
    expect(await up.exited).toBe(0);
    expect(() => process.kill(Number(appPid), 0)).toThrow(/ESRCH/);
  });

  it('waits for an HTTP health path below 500 and names the last answer when it never comes', async () => {
    const dir = scratch();
    const app = `import os, http.server as h
class Sick(h.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(503 if self.path == '/healthz' else 200); self.end_headers()
h.HTTPServer(('127.0.0.1', int(os.environ['LEGACY_PORT'])), Sick).serve_forever()`;
    // Long enough for Python to start on a loaded machine, so the last check is the app's own 503.
    const stack = writeStack(dir, { routes: ALL_LEGACY, legacy: { command: [PYTHON, '-c', app], ready: { http: '/healthz', timeout: 8 } } });
    const up = start({ STRANGLER_STACK: stack, STRANGLER_FRONT_DOOR: 'edge', FRONT_PORT: '0', TS_PORT: '0', LEGACY_PORT: '0' });
    expect(await up.exited).toBe(1);
    expect(up.output.join('\n')).toContain('legacy was not ready within 8 s: GET /healthz answered 503.');
  });

  it('says which program it could not find and how to name it', async () => {
    const stack = writeStack(scratch(), { routes: ALL_LEGACY, legacy: { command: ['no-such-program-here', 'run'] } });
    const up = start({ STRANGLER_STACK: stack, STRANGLER_FRONT_DOOR: 'edge', FRONT_PORT: '0', TS_PORT: '0', LEGACY_PORT: '0' });
    expect(await up.exited).toBe(1);
    expect(up.output.join('\n')).toMatch(
      /legacy could not be started \(no-such-program-here in \S+\): spawn no-such-program-here ENOENT; is no-such-program-here installed and on PATH\? Name it by its full path otherwise/,
    );
  });

  it('points at the fix when the stack file is wrong, before starting anything', async () => {
    const dir = scratch();
    const stack = writeStack(dir, { legacy: { run: 'python3 server.py' } });
    const up = start({ STRANGLER_STACK: stack, FRONT_PORT: '0', TS_PORT: '0', LEGACY_PORT: '0' });
    expect(await up.exited).toBe(1);
    const output = up.output.join('\n');
    expect(output).toContain(`strangler up: ${stack}: legacy.command: missing; add it`);
    expect(output).toContain(`${stack}: legacy: unknown key 'run'; the keys are env, routes, legacy (command, cwd, env, ready, prepare), restart`);
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
