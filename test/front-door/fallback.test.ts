/**
 * Fallback at the front doors (docs/traffic-modes.md, "Fallback"), through the Node edge and a real nginx:
 * a TS server that refuses connections, or takes a request and resets the connection before any answer.
 * Legacy answers an idempotent request on a route with `fallback`, marked and logged; a POST already sent
 * to TS gets the 502 page and is never sent a second time; a POST the TS server never received (refused)
 * goes to legacy, once; a route with `fallback: false` gets the 502 page. The TS stand-in is a raw socket
 * server: misbehaving on purpose is what it is for.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answeredByParams, answeredBySide } from '../../gateway/access/index.ts';
import { startEdge } from '../../gateway/edge/index.ts';
import { forEachLine } from '../../gateway/process/index.ts';
import { nginxSupport, writeNginxConfig } from '../../gateway/nginx/index.ts';
import { parseRouteTable } from '../../gateway/routes/index.ts';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { freePort, stopChild, tempDir, waitForPort } from '../helpers/processes.ts';
import { startRawServer, type RawServer } from '../helpers/raw-server.ts';

const SUPPORT = nginxSupport();

interface Answer {
  status: number | null;
  body: string;
  answeredBy: string | undefined;
  requestId: string | undefined;
  error: string | null;
}

function send(base: string, path: string, method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve) => {
    const headers = body === undefined ? {} : { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) };
    const req = request(`${base}${path}`, { method, agent: false, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? null,
          body: text,
          answeredBy: res.headers['x-strangler-answered-by'] as string | undefined,
          requestId: res.headers['x-request-id'] as string | undefined,
          error: null,
        }),
      );
    });
    req.on('error', (err) => resolve({ status: null, body: '', answeredBy: undefined, requestId: undefined, error: err.message }));
    req.end(body);
  });
}

interface Door {
  url: string;
  /** The access line of a request, once written. */
  line(requestId: string): Promise<Record<string, unknown>>;
  fallbacks: string[];
  stop(): Promise<void>;
}

const doors = ['edge', ...(SUPPORT.ok ? ['nginx'] : [])] as const;

describe.each(doors)('fallback at the %s front door', { timeout: 60_000 }, (kind) => {
  const { dir, cleanup } = tempDir(`strangler-fallback-${kind}-`);
  let legacy: EchoBackend;
  let tsPort: number;
  /** The TS stand-in: reads a request head, counts it, resets the connection without a byte back. */
  let resetting: RawServer | undefined;
  const tsReceived: string[] = [];
  let door: Door;

  beforeAll(async () => {
    legacy = await startEchoBackend('legacy');
    resetting = await startRawServer((socket: Socket) => {
      let head = '';
      socket.on('data', (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        tsReceived.push(head.split('\r\n')[0]!);
        // A reset, as a crashing process leaves it: RST, not FIN.
        socket.resetAndDestroy();
      });
    });
    tsPort = resetting.port;
    const table = parseRouteTable(
      `version: 1
backends:
  legacy: { url: "http://127.0.0.1:${legacy.port}" }
  ts: { url: "http://127.0.0.1:${tsPort}" }
routes:
  - { path: /, mode: legacy }
  - { path: /a, mode: next, handler: a }
  - { path: /n, mode: next, handler: n, fallback: false }
`,
      'fallback.yaml',
      {},
    );
    door = kind === 'edge' ? await edgeDoor(table) : await nginxDoor(table, dir);
  });

  afterAll(async () => {
    await door?.stop();
    await resetting?.close();
    await legacy?.close();
    cleanup();
  });

  it('answers a GET with legacy when TS resets the connection before any byte, marked and logged', async () => {
    const res = await send(door.url, '/a/1');
    expect(res.status).toBe(200);
    expect(answeredBySide(res.answeredBy)).toBe('legacy');
    expect(answeredByParams(res.answeredBy)).toMatchObject({ route: '/a', fallback: 'ts-unreachable' });
    expect(legacy.requests.at(-1)).toMatchObject({ method: 'GET', url: '/a/1' });
    expect(await door.line(res.requestId!)).toMatchObject({ route: '/a', backend: 'legacy', fallback: 'legacy', status: 200 });
  });

  it('gives a POST that reached TS the 502 page and never sends it to legacy', async () => {
    const before = legacy.requests.length;
    const sentToTs = tsReceived.length;
    const res = await send(door.url, '/a/reply', 'POST', 'a reply');
    expect(res.status).toBe(502);
    expect(tsReceived.slice(sentToTs)).toEqual(['POST /a/reply HTTP/1.1']);
    expect(legacy.requests.length).toBe(before);
  });

  it('gives a route with fallback: false the 502 page', async () => {
    const res = await send(door.url, '/n/1');
    expect(res.status).toBe(502);
  });

  it('answers a GET with legacy when TS refuses the connection, and a POST too (nothing reached TS), once', async () => {
    await resetting!.close();
    resetting = undefined;
    const get = await send(door.url, '/a/2');
    expect([get.status, answeredBySide(get.answeredBy)]).toEqual([200, 'legacy']);
    const before = legacy.requests.length;
    const post = await send(door.url, '/a/new', 'POST', 'a thread');
    expect(post.status).toBe(200);
    expect(legacy.requests.slice(before)).toEqual([expect.objectContaining({ method: 'POST', url: '/a/new', bodyBytes: 8 })]);
    expect((await send(door.url, '/n/2')).status).toBe(502);
  });

  it('counts every fallback', async () => {
    // GET /a/1, GET /a/2, POST /a/new: the edge's own count; nginx's comes from its access lines.
    await expect.poll(() => door.fallbacks.length, { timeout: 10_000 }).toBe(3);
    expect(new Set(door.fallbacks)).toEqual(new Set(['/a ts-unreachable']));
  });
});

async function edgeDoor(table: ReturnType<typeof parseRouteTable>): Promise<Door> {
  const lines: Record<string, unknown>[] = [];
  const fallbacks: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  const edge = await startEdge({ table, logger, answeredBy: true, onFallback: (route, reason) => fallbacks.push(`${route} ${reason}`) });
  return {
    url: edge.url,
    fallbacks,
    line: async (id) => {
      await expect.poll(() => lines.find((l) => l.event === 'access' && l.request_id === id)).toBeDefined();
      return lines.find((l) => l.event === 'access' && l.request_id === id)!;
    },
    stop: () => edge.close(),
  };
}

async function nginxDoor(table: ReturnType<typeof parseRouteTable>, dir: string): Promise<Door> {
  const port = await freePort();
  const conf = writeNginxConfig(table, { listenHost: '127.0.0.1', listenPort: port, prefix: dir, outDir: dir, workerProcesses: 1, answeredBy: true });
  const child = spawn(SUPPORT.ok ? SUPPORT.binary : 'nginx', ['-p', dir, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  forEachLine(child.stdout!, (line) => output.push(line));
  forEachLine(child.stderr!, (line) => output.push(line));
  if (!(await waitForPort('127.0.0.1', port, 10_000))) {
    await stopChild(child);
    throw new Error(`nginx did not start:\n${output.join('\n')}`);
  }
  const accessLines = (): Record<string, unknown>[] => {
    try {
      return readFileSync(join(dir, 'access.log'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch {
      return [];
    }
  };
  return {
    url: `http://127.0.0.1:${port}`,
    // nginx's count is its access lines that say so (what the tailer of `strangler up` records).
    get fallbacks() {
      return accessLines()
        .filter((l) => l.fallback === 'legacy')
        .map((l) => `${String(l.route)} ts-unreachable`);
    },
    line: async (id) => {
      await expect.poll(() => accessLines().find((l) => l.request_id === id)).toBeDefined();
      return accessLines().find((l) => l.request_id === id)!;
    },
    stop: () => stopChild(child),
  };
}
