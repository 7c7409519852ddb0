/**
 * An upgrade request gets the same answer head from the Node edge as from nginx, over raw sockets: the
 * 101 (Date and `Connection: upgrade` first, then the backend's protocol headers, then X-Request-Id), a
 * backend's refusal, the 502 page when the backend is down and the 404 page under /_internal; after an
 * answer that is not a 101, both keep the connection for the client's next request.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startEdge, tempDir, type RunningProcess } from '../helpers/processes.ts';
import { parseResponses, sendRaw } from '../helpers/raw-http.ts';
import { NGINX, startNginx } from '../helpers/stack.ts';
import { routesWith, startWsBackend, type WsBackend } from './ws-backend.ts';

// No fallback: a TS that is down gives the front door's 502 page, which is what this compares.
const routesYaml = routesWith('{ path: /down, mode: next, handler: nobody, fallback: false }');

const upgrade = (path: string, extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: forum.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
const NEXT = 'GET /after HTTP/1.1\r\nHost: forum.test\r\nConnection: close\r\n\r\n';

/** The first answer's head lines, Date and X-Request-Id values blanked. */
const headOf = (raw: string): string[] =>
  raw
    .slice(0, raw.indexOf('\r\n\r\n'))
    .split('\r\n')
    .map((line) => line.replace(/^(Date|X-Request-Id): .*/i, '$1: *'));

describe.skipIf(!NGINX.ok)('WebSocket handshake answers through nginx and through the edge', () => {
  let legacy: WsBackend;
  let edge: RunningProcess;
  let nginx: { url: string; stop(): Promise<void> };
  let cleanup: () => void;

  beforeAll(async () => {
    legacy = await startWsBackend();
    const temp = tempDir('strangler-ws-heads-');
    cleanup = temp.cleanup;
    writeFileSync(join(temp.dir, 'routes.yaml'), routesYaml);
    // The TS backend is a port nothing listens on: /down answers 502.
    const env = { ROUTES: join(temp.dir, 'routes.yaml'), LEGACY_PORT: String(legacy.port), TS_PORT: String(await freePort()), LOG_LEVEL: 'warn' };
    [edge, nginx] = await Promise.all([startEdge(env), startNginx(temp.dir, env)]);
  });
  afterAll(async () => {
    await Promise.allSettled([edge?.stop(), nginx?.stop()]);
    await legacy?.close();
    cleanup?.();
  });

  it('switches protocols with the same 101 head', async () => {
    // The backend's first frame follows the 101; the tunnel stays open until the socket times out.
    const [viaNginx, viaEdge] = await Promise.all([sendRaw(nginx.url, upgrade('/echo'), { timeoutMs: 1000 }), sendRaw(edge.url, upgrade('/echo'), { timeoutMs: 1000 })]);
    expect(headOf(viaNginx)[0]).toBe('HTTP/1.1 101 Switching Protocols');
    expect(headOf(viaEdge)).toEqual(headOf(viaNginx));
  });

  it.each([
    ['refused by the backend', '/refuse', 403],
    ['to a backend that is down', '/down/feed', 502],
    ['under /_internal', '/_internal/feed', 404],
  ])('answers an upgrade %s with the same status, head and body, and serves the next request on the same connection', async (_name, path, status) => {
    const request = upgrade(path) + NEXT;
    const [viaNginx, viaEdge] = await Promise.all([sendRaw(nginx.url, request), sendRaw(edge.url, request)]);
    const [nginxAnswers, edgeAnswers] = [parseResponses(viaNginx), parseResponses(viaEdge)];
    expect(nginxAnswers.map((a) => a.status)).toEqual([status, 200]);
    expect(edgeAnswers.map((a) => a.status)).toEqual([status, 200]);
    expect(headOf(viaEdge)).toEqual(headOf(viaNginx));
    expect(edgeAnswers[0]!.body).toBe(nginxAnswers[0]!.body);
  });
});
