import { Agent, request } from 'node:http';
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadErrorPages } from './error-pages.ts';
import { answerClientError, MAX_RESPONSE_HEAD_BYTES, withResponseHeadLimit } from './header-limits.ts';

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
  const clientError = answerClientError(pages);

  it('answers a request head over the limit with 431 and its page, then closes', async () => {
    const socket = fakeSocket();
    clientError(overflow('HPE_HEADER_OVERFLOW'), socket);
    await new Promise((resolve) => socket.once('finish', resolve));
    const [head, body] = socket.written().split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(head).toContain('Content-Type: text/html; charset=utf-8');
    expect(head).toContain('Connection: close');
    expect(body).toBe(pages[431].toString('latin1'));
    socket.destroy();
  });

  it('answers other parser errors as Node does by default: a bare 400, or 408 on a timeout', () => {
    const bad = fakeSocket();
    clientError(overflow('HPE_INVALID_METHOD'), bad);
    expect(bad.written()).toBe('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    expect(bad.destroyed).toBe(true);
    const slow = fakeSocket();
    clientError(overflow('ERR_HTTP_REQUEST_TIMEOUT'), slow);
    expect(slow.written()).toBe('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
  });
});

describe('withResponseHeadLimit', () => {
  it('lets every request through the agent parse response heads up to the limit', () => {
    const agent = withResponseHeadLimit(new Agent());
    const req = request({ host: '127.0.0.1', port: 9, agent });
    req.on('error', () => undefined);
    expect((req as typeof req & { maxHeaderSize?: number }).maxHeaderSize).toBe(MAX_RESPONSE_HEAD_BYTES);
    req.destroy();
    agent.destroy();
  });
});
