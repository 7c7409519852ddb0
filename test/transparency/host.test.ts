/**
 * An HTTP/1.0 request without Host is handled the same on every door: answered by the app (200), with
 * the backend's own address as the Host upstream (what the app takes for itself when a request has no
 * Host, and what a Node client sends), and no X-Forwarded-Host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalAnswer, startDoors, type Doors } from './doors.ts';

let doors: Doors;

beforeAll(async () => {
  doors = await startDoors((req, socket) => {
    const body = `host=${req.headers.host ?? 'none'} x-forwarded-host=${req.headers['x-forwarded-host'] ?? 'none'}\n`;
    socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  });
});

afterAll(async () => {
  await doors?.stop();
});

describe('an HTTP/1.0 request without Host', () => {
  it('reaches the app through every door with the app’s own address as Host', async () => {
    const seen: Record<string, string> = {};
    for (const door of doors.names) {
      const answer = finalAnswer(await doors.send(door, 'GET /page HTTP/1.0\r\n\r\n'));
      seen[door] = `${answer?.status} ${answer?.body.trim()}`;
    }
    const own = `200 host=127.0.0.1:${doors.standIn.port} x-forwarded-host=none`;
    expect(seen).toEqual(Object.fromEntries(doors.names.map((door) => [door, own])));
  });

  it('reaches the app directly with no Host at all (why the doors must choose one: they speak HTTP/1.1 upstream)', async () => {
    expect(finalAnswer(await doors.send('direct', 'GET /page HTTP/1.0\r\n\r\n'))?.body).toBe('host=none x-forwarded-host=none\n');
  });

  it('with a Host keeps it on every door', async () => {
    const seen: Record<string, string | undefined> = {};
    for (const door of doors.names) seen[door] = finalAnswer(await doors.send(door, 'GET /page HTTP/1.0\r\nHost: app.test:8080\r\n\r\n'))?.body;
    expect(seen).toEqual(Object.fromEntries(doors.names.map((door) => [door, `host=app.test:8080 x-forwarded-host=${door === 'ts' ? 'none' : 'app.test:8080'}\n`])));
  });
});
