/**
 * A chunked request body to an app that cannot read one (it answers 411, as many WSGI servers do): every
 * door reads the body whole, up to the table's limit, and sends it with a Content-Length, so the app
 * answers as it would to the same body sent with a length. Past the limit every door answers its 413 page.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadErrorPages } from '../../gateway/proxy/index.ts';
import { differences, finalAnswer, startDoors, type Doors } from './doors.ts';

const LIMIT_BYTES = 1024 * 1024;
const PAGES = loadErrorPages();

let doors: Doors;

beforeAll(async () => {
  doors = await startDoors(
    (req, socket) => {
      const digest = createHash('sha256').update(req.body).digest('hex');
      const body = `${req.body.length} bytes, sha256 ${digest}\n`;
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nX-Body-Length: ${req.headers['content-length'] ?? 'none'}\r\n\r\n${body}`);
    },
    { settings: '  max_body_mb: 1' },
  );
});

afterAll(async () => {
  await doors?.stop();
});

const bodyOf = (size: number): Buffer => Buffer.from(Array.from({ length: size }, (_, i) => 48 + ((i * 13) % 75)));

/** `body` in chunks of at most 8000 bytes, with a last chunk and no trailer. */
function chunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += 8000) {
    const piece = body.subarray(at, at + 8000);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

const post = (framing: string, body: Buffer): Buffer =>
  Buffer.concat([Buffer.from(`POST /upload HTTP/1.1\r\nHost: app.test\r\nContent-Type: application/octet-stream\r\n${framing}\r\nConnection: close\r\n\r\n`), body]);
const withLength = (body: Buffer): Buffer => post(`Content-Length: ${body.length}`, body);
const asChunks = (body: Buffer): Buffer => post('Transfer-Encoding: chunked', chunked(body));

describe('a chunked request body to an app that cannot read one', () => {
  it('is refused by the app itself when sent directly (411), which is why the doors re-frame it', async () => {
    expect(finalAnswer(await doors.send('direct', asChunks(bodyOf(10))))?.status).toBe(411);
  });

  it.each([
    ['empty', 0],
    ['small', 300],
    ['> 64 KiB', 64 * 1024 + 3],
    ['exactly the limit', LIMIT_BYTES],
  ])('reaches the app with a Content-Length through every door (%s)', async (_, size) => {
    const body = bodyOf(size);
    const direct = finalAnswer(await doors.send('direct', withLength(body)));
    expect(direct?.status).toBe(200);
    const found: Record<string, string[]> = {};
    for (const door of doors.names) {
      const before = doors.standIn.requests.length;
      found[door] = differences(direct, finalAnswer(await doors.send(door, asChunks(body))));
      const received = doors.standIn.requests.slice(before);
      if (received.some((r) => r.headers['transfer-encoding'] !== undefined)) found[door]!.push('the app got a Transfer-Encoding header');
    }
    expect(found).toEqual(Object.fromEntries(doors.names.map((door) => [door, []])));
  });

  it('is answered with the 413 page by every door when it grows past the limit, and never reaches the app', async () => {
    const before = doors.standIn.requests.length;
    const answers: Record<string, string> = {};
    for (const door of doors.names) {
      const answer = finalAnswer(await doors.send(door, asChunks(bodyOf(LIMIT_BYTES + 1))));
      answers[door] =
        `${answer?.status} ${answer?.headers['content-type']} ${answer?.body === PAGES[413].toString('latin1') ? 'the 413 page' : JSON.stringify(answer?.body.slice(0, 80))}`;
    }
    expect(answers).toEqual(Object.fromEntries(doors.names.map((door) => [door, '413 text/html; charset=utf-8 the 413 page'])));
    expect(doors.standIn.requests.length).toBe(before);
  });
});
