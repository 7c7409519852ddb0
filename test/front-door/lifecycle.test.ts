/**
 * A route's announced end (`deprecated`, `sunset`, `successor`, `deprecation_doc` in routes.yaml) reaches
 * the client as the same `Deprecation`, `Sunset` and `Link` headers through nginx, the Node edge and the
 * TS server, for a route legacy answers (a segment pattern) and for one the TS server answers (its own
 * answers and those it passes on to legacy), once each and next to the app's own headers.
 */
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NGINX, startNginx, startStack, type Stack } from '../helpers/stack.ts';
import { tempDir } from '../helpers/processes.ts';

const ROUTES = `version: 1
backends:
  legacy: { url: "http://127.0.0.1:\${LEGACY_PORT}" }
  ts: { url: "http://127.0.0.1:\${TS_PORT}" }
routes:
  - { path: /, mode: legacy }
  - path: "/api/v1/boards/*/threads"
    exact: true
    mode: legacy
    deprecated: 2026-01-01
    sunset: 2027-01-01
    successor: /api/v2/boards
  - path: /api/v1/threads
    mode: next
    handler: threads
    methods: [GET]
    deprecated: "2026-03-01T12:00:00Z"
    successor: "https://api.example.com/v2/threads"
    deprecation_doc: "https://example.com/docs/v1"
  - { path: /api/v1/boards, exact: true, mode: next, handler: boards, methods: [GET] }
  - { path: /api/v1/login, mode: legacy, sunset: 2027-06-30 }
`;

const LEGACY_ROUTE = {
  deprecation: '@1767225600',
  sunset: 'Fri, 01 Jan 2027 00:00:00 GMT',
  link: '</api/v2/boards>; rel="successor-version"',
};
const NEXT_ROUTE = {
  deprecation: `@${Date.UTC(2026, 2, 1, 12) / 1000}`,
  sunset: null,
  link: '<https://api.example.com/v2/threads>; rel="successor-version", <https://example.com/docs/v1>; rel="deprecation"',
};
const SUNSET_ONLY = { deprecation: null, sunset: 'Wed, 30 Jun 2027 00:00:00 GMT', link: null };
const NONE = { deprecation: null, sunset: null, link: null };

/** Request → the lifecycle headers its answer must carry, whoever answers it. */
const CASES: readonly { name: string; method: string; path: string; expected: typeof LEGACY_ROUTE | typeof NEXT_ROUTE | typeof NONE | typeof SUNSET_ONLY }[] = [
  { name: 'a legacy pattern route, answered by legacy', method: 'GET', path: '/api/v1/boards/general/threads', expected: LEGACY_ROUTE },
  { name: 'a legacy pattern route, a target forwarded as written', method: 'GET', path: '/api%2Fv1/boards/general/threads', expected: LEGACY_ROUTE },
  { name: 'a legacy prefix route', method: 'GET', path: '/api/v1/login', expected: SUNSET_ONLY },
  { name: 'a legacy prefix route, a target forwarded as written', method: 'GET', path: '/api/v1/login%2Fx', expected: SUNSET_ONLY },
  { name: "a legacy pattern route, legacy's 404", method: 'GET', path: '/api/v1/boards/no-such-board/threads', expected: LEGACY_ROUTE },
  { name: 'a next route, answered by its TS handler', method: 'GET', path: '/api/v1/threads/1', expected: NEXT_ROUTE },
  { name: 'a next route, a method the TS server passes on to legacy', method: 'POST', path: '/api/v1/threads/1/posts', expected: NEXT_ROUTE },
  { name: 'a route without a lifecycle', method: 'GET', path: '/api/v1/boards', expected: NONE },
  { name: 'a path below the exact pattern, on the default route', method: 'GET', path: '/api/v1/boards/general/threads/x', expected: NONE },
];

let stack: Stack;
let nginx: Awaited<ReturnType<typeof startNginx>> | null = null;
let cleanup: () => void;

beforeAll(async () => {
  const temp = tempDir('strangler-lifecycle-');
  cleanup = temp.cleanup;
  const routes = join(temp.dir, 'routes.yaml');
  writeFileSync(routes, ROUTES);
  stack = await startStack('edge', { ROUTES: routes });
  if (NGINX.ok) nginx = await startNginx(stack.dir, stack.env);
});

afterAll(async () => {
  await nginx?.stop();
  await stack?.stop();
  cleanup?.();
});

async function lifecycleOf(base: string, method: string, path: string): Promise<{ status: number; headers: typeof NONE | typeof LEGACY_ROUTE }> {
  const res = await fetch(`${base}${path}`, { method, ...(method === 'POST' ? { body: 'body=hello', headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {}) });
  await res.arrayBuffer();
  return { status: res.status, headers: { deprecation: res.headers.get('deprecation'), sunset: res.headers.get('sunset'), link: res.headers.get('link') } as typeof NONE };
}

describe('lifecycle headers', () => {
  const doors = (): [string, string][] => [
    ['the Node edge', stack.front.url],
    ['the TS server', `http://127.0.0.1:${stack.ts.port}`],
    ...(nginx ? ([['nginx', nginx.url]] as [string, string][]) : []),
  ];

  it.each(CASES)('announces $name the same way through every door', async ({ method, path, expected }) => {
    for (const [door, base] of doors()) {
      const { status, headers } = await lifecycleOf(base, method, path);
      expect({ door, headers, answered: status < 500 }).toEqual({ door, headers: expected, answered: true });
    }
  });

  it('announces a legacy route on the answer to an upgrade request (a WebSocket handshake) the same way through every door', async () => {
    for (const [door, base] of doors()) {
      const head = await upgradeAnswerHead(base, '/api/v1/boards/general/threads');
      const lines = head.split('\r\n');
      const values = (name: string): string[] => lines.filter((line) => line.toLowerCase().startsWith(`${name}:`)).map((line) => line.slice(name.length + 1).trim());
      expect({ door, deprecation: values('deprecation'), sunset: values('sunset'), link: values('link') }).toEqual({
        door,
        deprecation: [LEGACY_ROUTE.deprecation],
        sunset: [LEGACY_ROUTE.sunset],
        link: [LEGACY_ROUTE.link],
      });
    }
  });
});

/** The head of the answer to an upgrade request, over a raw socket (fetch cannot send one). */
function upgradeAnswerHead(base: string, path: string): Promise<string> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: front.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      ),
    );
    let received = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer to the upgrade request')));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.destroy();
      resolve(received.slice(0, end));
    });
    socket.on('error', reject);
  });
}
