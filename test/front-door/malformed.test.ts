/**
 * Malformed and odd requests, byte for byte over raw node:net, to nginx and to the Node edge: each gets
 * the same status line, the same header lines in the same order (values of Date and X-Request-Id
 * aside) and the same body bytes from both. Most are refused by Node's parser before the edge's handler
 * runs (bad chunk sizes, conflicting or malformed Content-Length, obfuscated Transfer-Encoding, NUL
 * and bare CR in headers, unknown and lowercase methods, oversized request heads); the rest by the
 * edge's own screening (TRACE, a malformed Host, HTTP versions other than 1.x, `OPTIONS *`).
 *
 * Where nginx accepts what Node's parser refuses, the case says so with the reason (docs/transparency-edge.md)
 * and the test pins both answers: the edge's 400 page and nginx passing the request on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadErrorPages } from '../../gateway/proxy/index.ts';
import { startEchoFrontDoor, type EchoFrontDoor } from '../helpers/echo-front-door.ts';
import { sendRaw } from '../helpers/raw-http.ts';
import { NGINX } from '../helpers/stack.ts';

const PAGE_400 = loadErrorPages()[400].toString('latin1');
const PAGE_431 = loadErrorPages()[431].toString('latin1');

interface Case {
  readonly name: string;
  readonly request: string;
  /** Set when nginx passes the request on while Node's parser refuses it: why they cannot agree. */
  readonly nginxForwards?: string;
  /** The edge's status line when it is not the 400 page. */
  readonly status?: string;
}

const HOST = 'Host: forum.test\r\n';
const CLOSE = 'Connection: close\r\n\r\n';
const post = (framing: string, body: string): string => `POST /upload HTTP/1.1\r\n${HOST}${framing}${CLOSE}${body}`;
const chunked = (body: string): string => post('Transfer-Encoding: chunked\r\n', body);
const get = (extraHeaders: string, target = '/page'): string => `GET ${target} HTTP/1.1\r\n${HOST}${extraHeaders}${CLOSE}`;
const requestLine = (line: string): string => `${line}\r\n${HOST}${CLOSE}`;
const headers = (count: number, size: number): string => Array.from({ length: count }, (_, i) => `X-Filler-${i}: ${'f'.repeat(size)}\r\n`).join('');

const CASES: readonly Case[] = [
  // Chunked bodies Node's parser refuses.
  { name: 'a chunk size that is not hex', request: chunked('zz\r\nabc\r\n0\r\n\r\n') },
  { name: 'a chunk size past 64 bits', request: chunked('FFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n') },
  { name: 'a negative chunk size', request: chunked('-5\r\nabcde\r\n0\r\n\r\n') },
  { name: 'a chunk size after a space', request: chunked(' 5\r\nabcde\r\n0\r\n\r\n') },
  { name: 'a chunk size with 0x', request: chunked('0x5\r\nabcde\r\n0\r\n\r\n') },
  { name: 'chunk data longer than its size', request: chunked('3\r\nabcXX\r\n0\r\n\r\n') },
  { name: 'a chunked body on HTTP/1.0 with a bad size', request: `POST /upload HTTP/1.0\r\n${HOST}Transfer-Encoding: chunked\r\n\r\nzz\r\n` },
  // Content-Length.
  { name: 'a Content-Length that is not a number', request: post('Content-Length: abc\r\n', '') },
  { name: 'a negative Content-Length', request: post('Content-Length: -1\r\n', '') },
  { name: 'a Content-Length with a plus sign', request: post('Content-Length: +5\r\n', 'abcde') },
  { name: 'a Content-Length list', request: post('Content-Length: 5, 5\r\n', 'abcde') },
  { name: 'two different Content-Length headers', request: post('Content-Length: 5\r\nContent-Length: 6\r\n', 'abcdef') },
  { name: 'two equal Content-Length headers', request: post('Content-Length: 5\r\nContent-Length: 5\r\n', 'abcde') },
  { name: 'a Content-Length past 64 bits', request: post('Content-Length: 99999999999999999999999\r\n', '') },
  { name: 'Content-Length and Transfer-Encoding together', request: post('Content-Length: 4\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n') },
  // Obfuscated Transfer-Encoding.
  { name: 'Transfer-Encoding: xchunked', request: post('Transfer-Encoding: xchunked\r\n', '0\r\n\r\n') },
  { name: 'Transfer-Encoding: chunked, identity', request: post('Transfer-Encoding: chunked, identity\r\n', '0\r\n\r\n') },
  { name: 'Transfer-Encoding: identity', request: post('Transfer-Encoding: identity\r\n', '') },
  { name: 'Transfer-Encoding: gzip, chunked', request: post('Transfer-Encoding: gzip, chunked\r\n', '0\r\n\r\n') },
  { name: 'Transfer-Encoding twice', request: post('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n') },
  { name: 'a space before the colon of Transfer-Encoding', request: post('Transfer-Encoding : chunked\r\n', '0\r\n\r\n') },
  { name: 'Transfer-Encoding folded onto a second line', request: post('Transfer-Encoding:\r\n chunked\r\n', '0\r\n\r\n') },
  { name: 'a vertical tab before chunked', request: post('Transfer-Encoding:\x0bchunked\r\n', '0\r\n\r\n') },
  // Bytes that do not belong in a request head.
  { name: 'a bare CR in a header value', request: get('X-Note: a\rb\r\n') },
  { name: 'NUL in a header value', request: get('X-Note: a\0b\r\n') },
  { name: 'NUL in a header name', request: get('X-\0Note: b\r\n') },
  { name: 'NUL in the target', request: requestLine('GET /pa\0ge HTTP/1.1') },
  { name: 'a space in a header name', request: get('X Note: b\r\n') },
  { name: 'an empty header name', request: get(': b\r\n') },
  { name: 'a folded header line', request: get('X-Note: a\r\n  continued\r\n') },
  { name: 'a space before the first header', request: `GET /page HTTP/1.1\r\n ${HOST}${CLOSE}` },
  { name: 'a tab between method and target', request: requestLine('GET\t/page HTTP/1.1') },
  { name: 'a malformed version', request: requestLine('GET /page HTTP/1.x') },
  { name: 'HTTP/2.0 in the request line', request: requestLine('GET /page HTTP/2.0') },
  { name: 'a malformed absolute-form target', request: requestLine('GET http://[::1 HTTP/1.1') },
  { name: 'a Host with a space', request: `GET /page HTTP/1.1\r\nHost: forum test\r\n${CLOSE}` },
  { name: 'a Host with a slash', request: `GET /page HTTP/1.1\r\nHost: forum.test/x\r\n${CLOSE}` },
  { name: 'a Host with two dots in a row', request: `GET /page HTTP/1.1\r\nHost: forum..test\r\n${CLOSE}` },
  // Odd methods.
  { name: 'a lowercase method', request: requestLine('get /page HTTP/1.1') },
  { name: 'an unknown method', request: requestLine('FROBNICATE /page HTTP/1.1') },
  { name: 'a 64-letter method', request: requestLine(`${'M'.repeat(64)} /page HTTP/1.1`) },
  { name: 'OPTIONS *', request: requestLine('OPTIONS * HTTP/1.1') },
  { name: 'TRACE', request: requestLine('TRACE /page HTTP/1.1'), status: 'HTTP/1.1 405 Not Allowed' },
  { name: 'CONNECT to a path', request: requestLine('CONNECT /page HTTP/1.1'), status: 'HTTP/1.1 405 Not Allowed' },
  { name: 'CONNECT to host:port', request: `CONNECT forum.test:443 HTTP/1.1\r\nHost: forum.test:443\r\n${CLOSE}` },
  // Request heads past every door's limit.
  { name: 'a 96 KiB request line', request: requestLine(`GET /${'a'.repeat(96 * 1024)} HTTP/1.1`) },
  { name: 'a 96 KiB header block', request: get(headers(96, 1024)) },
  { name: 'one 96 KiB header', request: get(`X-Big: ${'b'.repeat(96 * 1024)}\r\n`) },
  // Where nginx is more lenient than Node's parser, which refuses without an insecure mode.
  {
    name: 'bare LF line ends',
    request: 'GET /page HTTP/1.1\nHost: forum.test\nConnection: close\n\n',
    nginxForwards: 'nginx accepts LF alone as a line end (RFC 9112 §2.2 allows it); llhttp requires CRLF',
  },
  {
    name: 'a header line without a colon',
    request: get('NoColonHere\r\n'),
    nginxForwards: 'nginx drops an invalid header line (ignore_invalid_headers); llhttp refuses the request',
  },
  { name: 'DEL in a header value', request: get('X-Note: a\x7fb\r\n'), nginxForwards: 'nginx passes DEL in a value on; llhttp refuses it as a control character' },
  { name: 'NUL in a chunk extension', request: chunked('5;a\0b\r\nabcde\r\n0\r\n\r\n'), nginxForwards: 'nginx skips chunk extensions unread; llhttp checks their characters' },
  { name: 'HTTP/1.10', request: requestLine('GET /page HTTP/1.10'), nginxForwards: 'nginx reads a two-digit minor version; llhttp allows one digit' },
];

interface Answer {
  readonly statusLine: string;
  /** Header lines in order; Date and X-Request-Id values blanked, as they differ on every answer. */
  readonly headerLines: string[];
  readonly body: string;
}

function dissect(raw: string): Answer {
  const end = raw.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = raw.slice(0, end < 0 ? raw.length : end).split('\r\n');
  return { statusLine, headerLines: lines.map((line) => line.replace(/^(Date|X-Request-Id): .*/i, '$1: *')), body: end < 0 ? '' : raw.slice(end + 4) };
}

const ask = async (front: EchoFrontDoor, request: string): Promise<Answer> => dissect(await sendRaw(front.url, request, { timeoutMs: 10_000 }));

describe('malformed requests at the Node edge', () => {
  let edge: EchoFrontDoor;
  beforeAll(async () => {
    edge = await startEchoFrontDoor('edge', '');
  });
  afterAll(async () => {
    await edge?.stop();
  });

  it(`has at least 30 cases that Node's parser or the edge refuses`, () => {
    expect(CASES.filter((c) => c.status === undefined).length).toBeGreaterThanOrEqual(30);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('answers %s with the gateway page, never with a bare status, and forwards nothing', async (_name, c) => {
    const before = edge.legacy.requests.length;
    const answer = await ask(edge, c.request);
    if (c.status) {
      expect(answer.statusLine).toBe(c.status);
    } else {
      // A head over the 32 KiB limit is 431 with its page (nginx 1.22 writes no reason phrase for 431).
      const [statusLine, page] = c.name.includes('96 KiB') ? ['HTTP/1.1 431 ', PAGE_431] : ['HTTP/1.1 400 Bad Request', PAGE_400];
      expect(answer.statusLine).toBe(statusLine);
      expect(answer.body).toBe(page);
      expect(answer.headerLines).toEqual([
        'Date: *',
        'Content-Type: text/html; charset=utf-8',
        `Content-Length: ${page.length}`,
        'Connection: close',
        'Cache-Control: no-store',
        'X-Request-Id: *',
      ]);
    }
    expect(edge.legacy.requests.length).toBe(before);
    expect(edge.alive()).toBe(true);
  });
});

describe.skipIf(!NGINX.ok)('malformed requests: nginx and the Node edge answer alike', () => {
  let edge: EchoFrontDoor;
  let nginx: EchoFrontDoor;
  beforeAll(async () => {
    [edge, nginx] = await Promise.all([startEchoFrontDoor('edge', ''), startEchoFrontDoor('nginx', '')]);
  });
  afterAll(async () => {
    await Promise.all([edge?.stop(), nginx?.stop()]);
  });

  it.each(CASES.filter((c) => !c.nginxForwards).map((c) => [c.name, c] as const))('gives %s the same status line, header lines and body through both', async (_name, c) => {
    const [fromNginx, fromEdge] = await Promise.all([ask(nginx, c.request), ask(edge, c.request)]);
    expect(fromEdge).toEqual(fromNginx);
  });

  // The echo backend is Node too: what nginx passes on, its parser may refuse in turn (DEL in a value).
  it.each(CASES.filter((c) => c.nginxForwards).map((c) => [c.name, c] as const))('documents %s: nginx passes it on, the edge answers the 400 page', async (_name, c) => {
    const [fromNginx, fromEdge] = await Promise.all([ask(nginx, c.request), ask(edge, c.request)]);
    expect(fromEdge.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(fromEdge.body).toBe(PAGE_400);
    expect(fromNginx.body).not.toBe(PAGE_400);
  });
});
