/**
 * The Node edge as a real process, in front of two echo backends: routing, /_internal refused in every
 * spelling, forged identity headers stripped, request ids minted, forwarded headers from the socket,
 * one backend down while the other keeps serving, SIGHUP reloads, start-up refusals and SIGTERM drain.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { freePort, ROOT, spawnServer, tempDir, type RunningProcess } from '../helpers/processes.ts';

const EDGE_ARGS = ['--import', 'tsx', 'gateway/edge/main.ts'];

const routesYaml = (extra = ''): string => `version: 1
backends:
  legacy: { url: "http://127.0.0.1:\${LEGACY_PORT}" }
  ts: { url: "http://127.0.0.1:\${TS_PORT}" }
routes:
  - { path: /, mode: legacy }
  - { path: /api/v1/boards, mode: next, handler: boards }
${extra}`;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Raw node:http, so the path reaches the edge exactly as written. */
function send(url: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolve once the process logged a line containing `text` (after `from` lines). */
async function waitForLine(proc: RunningProcess, text: string, from = 0, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = proc.output.slice(from).find((l) => l.includes(text));
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no line with ${text} within ${timeoutMs} ms:\n${proc.output.slice(-20).join('\n')}`);
}

/** Run the edge until it exits; for start-ups that must fail. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, EDGE_ARGS, { cwd: ROOT, env: { ...process.env, FRONT_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('the Node edge process', () => {
  let legacy: EchoBackend;
  let ts: EchoBackend;
  let edge: RunningProcess;
  let routesFile: string;
  let env: Record<string, string>;
  let cleanup: () => void;

  beforeAll(async () => {
    [legacy, ts] = await Promise.all([startEchoBackend('legacy'), startEchoBackend('ts')]);
    const temp = tempDir('strangler-edge-');
    cleanup = temp.cleanup;
    routesFile = join(temp.dir, 'routes.yaml');
    writeFileSync(routesFile, routesYaml());
    env = { ROUTES: routesFile, LEGACY_PORT: String(legacy.port), TS_PORT: String(ts.port), FRONT_PORT: '0', LOG_LEVEL: 'info' };
    edge = await spawnServer({ name: 'edge', command: process.execPath, args: EDGE_ARGS, env });
  });
  afterAll(async () => {
    await edge?.stop();
    await Promise.all([legacy?.close(), ts?.close()]);
    cleanup?.();
  });

  it('sends a moved prefix to ts and everything else to legacy, on the normalized path', async () => {
    expect((await send(edge.url, '/api/v1/boards')).headers['x-backend']).toBe('ts');
    expect((await send(edge.url, '/api/v1/%62oards/3?x=1')).headers['x-backend']).toBe('ts');
    expect(ts.requests.at(-1)!.url).toBe('/api/v1/boards/3?x=1');
    expect((await send(edge.url, '/api/v1//boards/../boards')).headers['x-backend']).toBe('ts');
    expect((await send(edge.url, '/api/v1/boardsx')).headers['x-backend']).toBe('legacy');
    expect((await send(edge.url, '/t/1')).headers['x-backend']).toBe('legacy');
  });

  it.each(['/_internal/v1/users', '/_internal', '/%5finternal/v1/users', '/%5F%69nternal/', '/x/../_internal/v1', '//_internal//v1', '/_internal%2fv1', '/./_internal'])(
    'answers 404 for %s and never reaches a backend',
    async (path) => {
      const before = legacy.requests.length + ts.requests.length;
      const res = await send(edge.url, path);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(legacy.requests.length + ts.requests.length).toBe(before);
    },
  );

  it('strips X-Strangler-* and X-User-* sent by a client', async () => {
    await send(edge.url, '/profile', { 'X-Strangler-Shadow': '1', 'X-User-Id': '1', 'X-USER-ROLE': 'admin', 'X-Strangler-Route': 'ts' });
    const seen = legacy.requests.at(-1)!;
    expect(seen.url).toBe('/profile');
    expect(Object.keys(seen.headers).filter((name) => /^x-(strangler|user)-/.test(name))).toEqual([]);
  });

  it('mints a 32-hex request id, replaces a client one, and passes it to the backend and the access log', async () => {
    const res = await send(edge.url, '/page', { 'X-Request-Id': 'forged-id' });
    const id = res.headers['x-request-id'] as string;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(legacy.requests.at(-1)!.headers['x-request-id']).toBe(id);
    const access = JSON.parse(await waitForLine(edge, id)) as Record<string, unknown>;
    expect(access).toMatchObject({ event: 'access', request_id: id, method: 'GET', path: '/page', backend: 'legacy', status: 200 });
  });

  it('sets X-Forwarded-For, -Proto, -Host and X-Real-IP from the connection, ignoring client values', async () => {
    await send(edge.url, '/page', { Host: 'forum.example:8080', 'X-Forwarded-For': '203.0.113.9', 'X-Real-IP': '203.0.113.9', 'X-Forwarded-Proto': 'https' });
    const seen = legacy.requests.at(-1)!.headers;
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-real-ip']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('forum.example:8080');
  });

  it('reloads the table on SIGHUP, and keeps the last good table when the new one is invalid', async () => {
    expect((await send(edge.url, '/moved/1')).headers['x-backend']).toBe('legacy');
    let mark = edge.output.length;
    writeFileSync(routesFile, routesYaml('  - { path: /moved, mode: next, handler: moved }\n'));
    edge.child.kill('SIGHUP');
    await waitForLine(edge, 'routes_reloaded', mark);
    expect((await send(edge.url, '/moved/1')).headers['x-backend']).toBe('ts');

    mark = edge.output.length;
    writeFileSync(routesFile, routesYaml('  - { path: /broken, mode: sideways }\n  - { path: /_internal, mode: legacy }\n'));
    edge.child.kill('SIGHUP');
    const refused = await waitForLine(edge, 'routes_reload_refused', mark);
    expect(refused).toMatch(/sideways/);
    expect((await send(edge.url, '/moved/1')).headers['x-backend']).toBe('ts');
    expect((await send(edge.url, '/broken')).headers['x-backend']).toBe('legacy');
    writeFileSync(routesFile, routesYaml());
  });
});

describe('the Node edge process with a backend down', () => {
  it('answers the 502 page for a route of the dead backend without fallback, legacy for one with it, while the other keeps working', async () => {
    const legacy = await startEchoBackend('legacy');
    const deadPort = await freePort();
    const { dir, cleanup } = tempDir('strangler-edge-');
    writeFileSync(join(dir, 'routes.yaml'), routesYaml('  - { path: /nofallback, mode: next, handler: boards, fallback: false }\n'));
    const edge = await spawnServer({
      name: 'edge',
      command: process.execPath,
      args: EDGE_ARGS,
      env: { ROUTES: join(dir, 'routes.yaml'), LEGACY_PORT: String(legacy.port), TS_PORT: String(deadPort), FRONT_PORT: '0', STRANGLER_STATE_DIR: join(dir, 'state') },
    });
    try {
      const fellBack = await send(edge.url, '/api/v1/boards');
      expect([fellBack.status, fellBack.headers['x-backend']]).toEqual([200, 'legacy']);
      const down = await send(edge.url, '/nofallback');
      expect(down.status).toBe(502);
      expect(down.headers['content-type']).toMatch(/^text\/html/);
      expect(down.headers['cache-control']).toBe('no-store');
      expect(down.body).toMatch(/502/);
      expect((await send(edge.url, '/t/1')).status).toBe(200);
      expect(edge.child.exitCode).toBeNull();
    } finally {
      await edge.stop();
      await legacy.close();
      cleanup();
    }
  });
});

describe('the Node edge process at start and stop', () => {
  it('refuses to start on an invalid table, printing every problem, and exits 1', async () => {
    const { dir, cleanup } = tempDir('strangler-edge-');
    const file = join(dir, 'routes.yaml');
    writeFileSync(file, 'version: 1\nbackends:\n  legacy: { url: "http://127.0.0.1:1" }\nroutes:\n  - { path: /x, mode: sideways }\n  - { path: /_internal, mode: legacy }\n');
    const { code, output } = await runToExit({ ROUTES: file });
    cleanup();
    expect(code).toBe(1);
    expect(output).toMatch(/sideways/);
    expect(output).toMatch(/_internal/);
    expect(output).toMatch(/routes\.yaml:5/);
    expect(output).not.toMatch(/"event":"listening"/);
  });

  it('says the port is taken and exits 1 when FRONT_PORT is in use', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const { dir, cleanup } = tempDir('strangler-edge-');
    writeFileSync(join(dir, 'routes.yaml'), routesYaml());
    const { code, output } = await runToExit({ ROUTES: join(dir, 'routes.yaml'), FRONT_PORT: String(port), LEGACY_PORT: '1', TS_PORT: '2' });
    holder.close();
    cleanup();
    expect(code).toBe(1);
    expect(output).toMatch(new RegExp(`port ${port} .*already in use.*FRONT_PORT`));
  });

  it('finishes a request in flight on SIGTERM and exits 0', async () => {
    const legacy = await startEchoBackend('legacy');
    const { dir, cleanup } = tempDir('strangler-edge-');
    writeFileSync(join(dir, 'routes.yaml'), routesYaml());
    const edge = await spawnServer({
      name: 'edge',
      command: process.execPath,
      args: EDGE_ARGS,
      env: { ROUTES: join(dir, 'routes.yaml'), LEGACY_PORT: String(legacy.port), TS_PORT: '1', FRONT_PORT: '0' },
    });
    try {
      const slow = send(edge.url, '/?echo=slow&ms=500');
      await vi.waitFor(() => expect(legacy.requests.some((r) => r.url.includes('echo=slow'))).toBe(true), { timeout: 10_000 });
      const exited = new Promise<number | null>((resolve) => edge.child.once('exit', (code) => resolve(code)));
      edge.child.kill('SIGTERM');
      expect((await slow).status).toBe(200);
      expect(await exited).toBe(0);
    } finally {
      await edge.stop();
      await legacy.close();
      cleanup();
    }
  });
});
