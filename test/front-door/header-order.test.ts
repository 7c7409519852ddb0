/**
 * The edge cannot be told from nginx by the head of a proxied answer: for the same backend answer, a
 * legacy one and a TS one, both front doors send the same status line and the same header lines in the
 * same order (nginx writes Date, Content-Type, Content-Length, Last-Modified, an absolute Location,
 * Transfer-Encoding and Connection first, then the backend's other headers, then X-Request-Id), and the
 * same body bytes. The backends are raw sockets, so each answer is exactly the bytes written here. The
 * front door's own answers (413, 502, 504, 404, 400) are compared the same way.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startEdge, tempDir, type RunningProcess } from '../helpers/processes.ts';
import { sendRaw } from '../helpers/raw-http.ts';
import { NGINX, startNginx } from '../helpers/stack.ts';

const DATE = 'Date: Thu, 01 Jan 2015 00:00:00 GMT';

/** Backend answers by name: the head lines after the status line, and the body. */
const ANSWERS: Record<string, { status: string; head: string[]; body: string }> = {
  plain: {
    status: '200 OK',
    head: ['Server: legacy/1.0', DATE, 'X-Powered-By: Python', 'Content-Type: application/json', 'X-Trace: 1', 'Content-Length: 11'],
    body: '{"ok":true}',
  },
  cookies: {
    status: '200 OK',
    head: [
      'Set-Cookie: a=1; Path=/',
      'Cache-Control: private',
      'ETag: "abc"',
      'Set-Cookie: b=2; Path=/; HttpOnly',
      'Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT',
      'Vary: Cookie',
      'Content-Type: text/html; charset=utf-8',
      'Content-Length: 4',
    ],
    body: 'page',
  },
  chunked: { status: '200 OK', head: ['Content-Type: text/plain', 'X-Stream: yes', 'Transfer-Encoding: chunked'], body: '5\r\nhello\r\n0\r\n\r\n' },
  'relative-redirect': { status: '302 Found', head: ['Location: /login?next=%2F', 'Content-Length: 0'], body: '' },
  'absolute-redirect': { status: '301 Moved Permanently', head: ['X-Before: 1', 'Location: https://elsewhere.test/x', 'Content-Length: 0'], body: '' },
  'own-reason': { status: '200 Fine Thanks', head: ['Content-Length: 2', 'Content-Type: text/plain'], body: 'ok' },
  'no-content': { status: '204 No Content', head: ['X-Deleted: 3'], body: '' },
  'not-modified': { status: '304 Not Modified', head: ['ETag: "abc"', 'Cache-Control: max-age=60'], body: '' },
  'header-case': { status: '200 OK', head: ['x-lower: a', 'X-MiXeD-CaSe: b', 'content-type: text/plain', 'content-length: 1'], body: 'c' },
  'keep-alive-header': { status: '200 OK', head: ['Keep-Alive: timeout=5', 'Connection: keep-alive', 'Content-Type: text/plain', 'Content-Length: 1'], body: 'k' },
  'nginx-only-headers': {
    status: '200 OK',
    head: ['X-Accel-Buffering: no', 'X-Pad: avoid browser bug', 'Content-Type: text/event-stream', 'X-Accel-Expires: 60', 'Content-Length: 2'],
    body: 'ok',
  },
  'error-status': { status: '503 Service Unavailable', head: ['Retry-After: 2', 'Content-Type: text/plain', 'Content-Length: 4'], body: 'busy' },
};

function rawBackend(): Promise<Server> {
  const server = createServer((socket) => {
    let buffered = '';
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [method = 'GET', target = '/'] = buffered.slice(0, end).split(' ');
      buffered = buffered.slice(end + 4);
      const answer = ANSWERS[target.split('/').at(-1)!] ?? ANSWERS.plain!;
      const body = method === 'HEAD' ? '' : answer.body;
      socket.write(`HTTP/1.1 ${answer.status}\r\n${answer.head.join('\r\n')}\r\n\r\n${body}`);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const routes = `version: 1
backends:
  legacy: { url: "http://127.0.0.1:\${LEGACY_PORT}" }
  ts: { url: "http://127.0.0.1:\${TS_PORT}" }
routes:
  - { path: /, mode: legacy }
  - { path: /ts, mode: next, handler: anything, fallback: false }
`;

/** Status line, header lines (Date and X-Request-Id values blanked) and the rest, as sent. */
async function ask(url: string, request: string, timeoutMs?: number): Promise<{ statusLine: string; headerLines: string[]; rest: string }> {
  const raw = await sendRaw(url, request, { timeoutMs });
  const end = raw.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n');
  return { statusLine, headerLines: lines.map((line) => line.replace(/^(Date|X-Request-Id): .*/i, '$1: *')), rest: raw.slice(end + 4) };
}

describe.skipIf(!NGINX.ok)('the head of a proxied answer through nginx and through the edge', () => {
  let legacy: Server;
  let ts: Server;
  let edge: RunningProcess;
  let nginx: { url: string; stop(): Promise<void> };
  let cleanup: () => void;

  beforeAll(async () => {
    [legacy, ts] = await Promise.all([rawBackend(), rawBackend()]);
    const temp = tempDir('strangler-order-');
    cleanup = temp.cleanup;
    writeFileSync(join(temp.dir, 'routes.yaml'), routes);
    const env = {
      ROUTES: join(temp.dir, 'routes.yaml'),
      LEGACY_PORT: String((legacy.address() as AddressInfo).port),
      TS_PORT: String((ts.address() as AddressInfo).port),
      LOG_LEVEL: 'warn',
    };
    [edge, nginx] = await Promise.all([startEdge(env), startNginx(temp.dir, env)]);
  });
  afterAll(async () => {
    await Promise.allSettled([edge?.stop(), nginx?.stop()]);
    legacy?.close();
    ts?.close();
    cleanup?.();
  });

  const cases = Object.keys(ANSWERS).flatMap((name) => [`/${name}`, `/ts/${name}`]);

  it.each(cases)('sends %s with the same status line, header lines in the same order and body', async (path) => {
    const request = `GET ${path} HTTP/1.1\r\nHost: forum.test\r\nConnection: close\r\n\r\n`;
    const [viaNginx, viaEdge] = await Promise.all([ask(nginx.url, request), ask(edge.url, request)]);
    expect(viaEdge).toEqual(viaNginx);
  });

  it.each(['/plain', '/ts/cookies', '/chunked'])('answers HEAD %s with the same head through both', async (path) => {
    const request = `HEAD ${path} HTTP/1.1\r\nHost: forum.test\r\nConnection: close\r\n\r\n`;
    const [viaNginx, viaEdge] = await Promise.all([ask(nginx.url, request), ask(edge.url, request)]);
    expect(viaEdge).toEqual(viaNginx);
  });

  it.each(['/plain', '/chunked', '/ts/cookies'])('answers an HTTP/1.0 client asking for %s with the same head through both', async (path) => {
    const request = `GET ${path} HTTP/1.0\r\nHost: forum.test\r\n\r\n`;
    const [viaNginx, viaEdge] = await Promise.all([ask(nginx.url, request), ask(edge.url, request)]);
    expect(viaEdge).toEqual(viaNginx);
  });

  it('keeps a connection alive with the same head through both when the client asks for nothing else', async () => {
    const request = `GET /plain HTTP/1.1\r\nHost: forum.test\r\n\r\nGET /cookies HTTP/1.1\r\nHost: forum.test\r\nConnection: close\r\n\r\n`;
    const [viaNginx, viaEdge] = await Promise.all([ask(nginx.url, request), ask(edge.url, request)]);
    expect(viaEdge.headerLines).toEqual(viaNginx.headerLines);
    expect(viaEdge.rest.replace(/^(Date|X-Request-Id): .*$/gim, '$1: *')).toBe(viaNginx.rest.replace(/^(Date|X-Request-Id): .*$/gim, '$1: *'));
  });
});

describe.skipIf(!NGINX.ok)("the front door's own answers through nginx and through the edge", () => {
  let silent: Server;
  let edge: RunningProcess;
  let nginx: { url: string; stop(): Promise<void> };
  let cleanup: () => void;

  beforeAll(async () => {
    // Legacy accepts connections and never answers (504); nothing listens on the TS port (502: the route
    // has no fallback, which would hand the request to the silent legacy).
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const temp = tempDir('strangler-own-');
    cleanup = temp.cleanup;
    writeFileSync(join(temp.dir, 'routes.yaml'), routes.replace('backends:', 'settings: { max_body_mb: 1, proxy_timeout_s: 1 }\nbackends:'));
    const env = { ROUTES: join(temp.dir, 'routes.yaml'), LEGACY_PORT: String((silent.address() as AddressInfo).port), TS_PORT: String(await freePort()), LOG_LEVEL: 'warn' };
    [edge, nginx] = await Promise.all([startEdge(env), startNginx(temp.dir, env)]);
  });
  afterAll(async () => {
    await Promise.allSettled([edge?.stop(), nginx?.stop()]);
    silent?.close();
    cleanup?.();
  });

  it.each([
    [
      '413 for a body over max_body_mb',
      'POST /upload HTTP/1.1\r\nHost: forum.test\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n',
      'HTTP/1.1 413 Request Entity Too Large',
    ],
    ['502 for a backend that is down', 'GET /ts/x HTTP/1.1\r\nHost: forum.test\r\nConnection: close\r\n\r\n', 'HTTP/1.1 502 Bad Gateway'],
    ['504 for a backend that says nothing', 'GET /slow HTTP/1.1\r\nHost: forum.test\r\nConnection: close\r\n\r\n', 'HTTP/1.1 504 Gateway Time-out'],
    ['404 for /_internal', 'GET /_internal/v1/x HTTP/1.1\r\nHost: forum.test\r\nConnection: close\r\n\r\n', 'HTTP/1.1 404 Not Found'],
    ['404 for /_internal to HEAD, without a body', 'HEAD /_internal/v1/x HTTP/1.1\r\nHost: forum.test\r\nConnection: close\r\n\r\n', 'HTTP/1.1 404 Not Found'],
    ['400 for a target with NUL', 'GET /a/%00 HTTP/1.1\r\nHost: forum.test\r\nConnection: close\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
  ])('answers %s with the same status line, head and page', async (_name, request, statusLine) => {
    // nginx lingers on a connection whose request body it did not read; what it sent is all there is.
    const [viaNginx, viaEdge] = await Promise.all([ask(nginx.url, request, 3000), ask(edge.url, request, 3000)]);
    expect(viaNginx.statusLine).toBe(statusLine);
    expect(viaEdge).toEqual(viaNginx);
  });
});
