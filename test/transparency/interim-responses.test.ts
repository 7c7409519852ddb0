/**
 * An app that sends interim (1xx) answers before its final one: no door hangs, and the final answer
 * arrives intact, as from a direct connection. What each door does with the 1xx itself is documented in
 * docs/transparency.md: the Node doors pass 103 and 102 on to an HTTP/1.1 client and drop the others;
 * nginx 1.22 takes a 1xx for the final answer and passes everything on as the app wrote it, which ends
 * only because its connections to legacy close after each answer (`legacy_keepalive: false`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { differences, finalAnswer, startDoors, type DoorName, type Doors } from './doors.ts';

const INTERIM: Record<string, string> = {
  '103': 'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\nLink: </app.js>; rel=preload; as=script\r\n\r\n',
  '102': 'HTTP/1.1 102 Processing\r\n\r\n',
  '100': 'HTTP/1.1 100 Continue\r\n\r\n',
  '102,103': 'HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n',
};

const LINKS: Record<string, string> = { '103': '</style.css>; rel=preload; as=style, </app.js>; rel=preload; as=script', '102,103': '</a.css>; rel=preload' };

/**
 * The interim answers each door passes on to an HTTP/1.1 client, as `status link`: nginx 1.22 every
 * 1xx as the app wrote it (it cannot tell them from a final answer); the Node doors 103 and 102, which
 * Node can write, and not 100, which is Node's own business with the client.
 */
const PASSED_ON: Record<DoorName, (codes: string) => string[]> = {
  nginx: (codes) => codes.split(',').map((code) => `${code} ${code === '103' ? LINKS[codes] : ''}`.trim()),
  edge: (codes) =>
    codes
      .split(',')
      .filter((code) => code !== '100')
      .map((code) => `${code} ${code === '103' ? LINKS[codes] : ''}`.trim()),
  ts: (codes) => PASSED_ON.edge(codes),
};

let doors: Doors;

beforeAll(async () => {
  doors = await startDoors(
    async (req, socket) => {
      const body = 'the final answer\n';
      // Interim answers, a pause the proxy must sit through, then the final answer on a kept-alive connection.
      socket.write(INTERIM[req.target.slice(1)] ?? '');
      await new Promise((resolve) => setTimeout(resolve, 20));
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      // The app sends 1xx answers, so nginx closes its connections to legacy after each answer (by default
      // it keeps them, and would hold each such exchange until the proxy timeout).
    },
    { settings: '  legacy_keepalive: false' },
  );
});

afterAll(async () => {
  await doors?.stop();
});

const get = (path: string, version = 'HTTP/1.1'): string => `GET ${path} ${version}\r\nHost: app.test\r\nConnection: close\r\n\r\n`;

describe.each(Object.keys(INTERIM))('interim answers %s before the final one', (codes) => {
  it('never hang a door, and the final answer arrives intact', async () => {
    const direct = finalAnswer(await doors.send('direct', get(`/${codes}`)));
    expect(direct?.status).toBe(200);
    const found: Record<string, string[]> = {};
    // Well inside the proxies' 60 s timeout: a door that held the connection would show as a missing answer.
    for (const door of doors.names) found[door] = differences(direct, finalAnswer(await doors.send(door, get(`/${codes}`), 5_000)));
    expect(found).toEqual(Object.fromEntries(doors.names.map((door) => [door, []])));
  });

  it('are passed on as documented: every 1xx by nginx, 103 and 102 by the Node doors', async () => {
    const interim: Record<string, string[]> = {};
    for (const door of doors.names) {
      const answers = await doors.send(door, get(`/${codes}`), 5_000);
      interim[door] = answers.filter((a) => a.status < 200).map((a) => `${a.status} ${a.headers.link ?? ''}`.trim());
    }
    expect(interim).toEqual(Object.fromEntries(doors.names.map((door) => [door, PASSED_ON[door](codes)])));
  });
});

describe('a 103 to an HTTP/1.0 client', () => {
  it('is not passed on by the Node doors (RFC 9110: no 1xx to an HTTP/1.0 client); nginx passes it, then the final answer', async () => {
    const statuses: Record<string, number[]> = {};
    for (const door of doors.names) statuses[door] = (await doors.send(door, get('/103', 'HTTP/1.0'), 5_000)).map((a) => a.status);
    expect(statuses).toEqual(Object.fromEntries(doors.names.map((door) => [door, door === 'nginx' ? [103, 200] : [200]])));
  });
});
