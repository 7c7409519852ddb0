/**
 * An app that writes stray bytes after a complete `Connection: close` answer (a second status line, a
 * stray CRLF, junk): every door delivers the complete answer, whatever its size, as a direct connection
 * does; the stray bytes are dropped. Close-delimited bodies (no Content-Length) arrive whole too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { differences, finalAnswer, startDoors, type Doors } from './doors.ts';

const STRAY = 'HTTP/1.1 200 OK\r\nX-Stray: yes\r\n\r\njunk after the answer\r\n';

/** A body of `size` bytes that is not a repetition of one byte, so a shifted or cut body shows. */
const bodyOf = (size: number): Buffer => Buffer.from(Array.from({ length: size }, (_, i) => 97 + ((i * 7 + (i >> 10)) % 26)));

const SIZES = { small: 300, '> 64 KiB': 64 * 1024 + 17, '> 1 MiB': 1024 * 1024 + 5 } as const;

let doors: Doors;

beforeAll(async () => {
  doors = await startDoors((req, socket) => {
    const [, framing, size] = req.target.split('/');
    const body = bodyOf(Number(size));
    if (framing === 'length') {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
      socket.write(body);
      socket.end(STRAY);
    } else {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n');
      socket.end(body);
    }
  });
});

afterAll(async () => {
  await doors?.stop();
});

const request = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n`;

describe.each(Object.entries(SIZES))('a %s answer followed by stray bytes', (_, size) => {
  it.each(['length', 'close'])('is delivered whole through every door (%s-delimited body)', async (framing) => {
    const path = `/${framing}/${size}`;
    const direct = finalAnswer(await doors.send('direct', request(path)));
    expect(direct?.body.length).toBe(size);
    const found: Record<string, string[]> = {};
    for (const door of doors.names) found[door] = differences(direct, finalAnswer(await doors.send(door, request(path))));
    expect(found).toEqual(Object.fromEntries(doors.names.map((door) => [door, []])));
  });
});
