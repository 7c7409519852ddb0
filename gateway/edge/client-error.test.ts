import { Duplex } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadErrorPages } from '../proxy/index.ts';
import { answerClientError } from './client-error.ts';

/** A socket stand-in that records what is written to it. */
function fakeSocket(): Duplex & { written: () => string } {
  const chunks: Buffer[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  return Object.assign(socket, { written: () => Buffer.concat(chunks).toString('latin1') });
}

const overflow = (code: string): Error & { code: string } => Object.assign(new Error(code), { code });

describe('answerClientError', () => {
  const pages = loadErrorPages();
  const clientError = answerClientError({ pages, logger: pino({ level: 'silent' }) });

  it('answers a request head over the limit with 431 and its page, then closes', async () => {
    const socket = fakeSocket();
    clientError(overflow('HPE_HEADER_OVERFLOW'), socket);
    await new Promise((resolve) => socket.once('finish', resolve));
    const [head, body] = socket.written().split('\r\n\r\n');
    // nginx 1.22 knows no reason phrase for 431: its status line ends after the code, and so does this one.
    expect(head).toMatch(/^HTTP\/1\.1 431 \r\n/);
    expect(head).toContain('Content-Type: text/html; charset=utf-8');
    expect(head).toContain('Connection: close');
    expect(body).toBe(pages[431].toString('latin1'));
    // The rest of the oversized head, reported as more errors, adds nothing to the answer.
    clientError(overflow('HPE_HEADER_OVERFLOW'), socket);
    expect(socket.written().split('HTTP/1.1').length).toBe(2);
    socket.destroy();
  });

  it('answers any other parser error with the 400 page, and a timed-out connection with nothing', async () => {
    const bad = fakeSocket();
    clientError(overflow('HPE_INVALID_METHOD'), bad);
    await new Promise((resolve) => bad.once('finish', resolve));
    const [head, body] = bad.written().split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(body).toBe(pages[400].toString('latin1'));
    const slow = fakeSocket();
    clientError(overflow('ERR_HTTP_REQUEST_TIMEOUT'), slow);
    expect(slow.written()).toBe('');
    expect(slow.destroyed).toBe(true);
  });
});
