/**
 * Requests real clients send that naive proxies get wrong, through every installed front door (the Node
 * edge always, nginx on the generated config when it is installed): request trailers, clients that
 * vanish mid-upload and mid-download, a body on GET, a 10 MB upload, several Set-Cookie headers, HEAD
 * and a streaming response. Raw node:http and node:net, so nothing is normalized on the way.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstChunk, type EchoBackend } from '../helpers/echo-backend.ts';
import { startEchoFrontDoor, type EchoFrontDoor } from '../helpers/echo-front-door.ts';
import { sendRaw } from '../helpers/raw-http.ts';
import { NGINX, type FrontDoorKind } from '../helpers/stack.ts';

const FRONT_DOORS: FrontDoorKind[] = NGINX.ok ? ['edge', 'nginx'] : ['edge'];

const ROUTES = '  - { path: /api/v1/boards, mode: next, handler: boards }\n';

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function send(front: EchoFrontDoor, path: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: front.port, path, method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The request that reached `backend` with exactly this target. */
async function arrived(backend: EchoBackend, url: string, timeoutMs = 5000): Promise<EchoBackend['requests'][number]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = backend.requests.find((r) => r.url === url);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`${url} never reached ${backend.name}; it saw ${backend.requests.map((r) => r.url).join(', ')}`);
    await pause(20);
  }
}

describe.each(FRONT_DOORS)('odd requests through the %s front door', (kind) => {
  let legacy: EchoBackend;
  let front: EchoFrontDoor;

  beforeAll(async () => {
    front = await startEchoFrontDoor(kind, ROUTES);
    legacy = front.legacy;
  });
  afterAll(async () => {
    await front?.stop();
  });

  const expectStillServing = async (): Promise<void> => {
    expect(front.alive()).toBe(true);
    expect((await send(front, '/still-up')).status).toBe(200);
  };

  it('passes a chunked body sent with a Trailer header through intact and keeps serving', async () => {
    const answer = await sendRaw(
      front.url,
      'POST /trailer-upload HTTP/1.1\r\nHost: forum.test\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\nConnection: close\r\n\r\n' +
        '5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 0123\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    const seen = await arrived(legacy, '/trailer-upload');
    expect(seen.bodySha256).toBe(sha256('hello world'));
    await expectStillServing();
  });

  it('stays up when a client aborts in the middle of its request body', async () => {
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: front.port }, () => {
        socket.write('POST /abandoned-upload HTTP/1.1\r\nHost: forum.test\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n');
        socket.write(Buffer.alloc(64 * 1024, 1), () => {
          socket.destroy();
          resolve();
        });
      });
      socket.on('error', reject);
    });
    await pause(200);
    await expectStillServing();
    expect(legacy.requests.some((r) => r.url === '/abandoned-upload')).toBe(false);
  });

  it('stays up when a client aborts in the middle of a streaming response', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: front.port, path: '/abandoned-download?echo=stream', agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err) => (err.message.includes('socket hang up') ? undefined : reject(err)));
      req.end();
    });
    await pause(200);
    legacy.release();
    await expectStillServing();
  });

  it('delivers a body sent with GET to the backend', async () => {
    const body = '{"q":"body on a GET"}';
    // Node's client frames a GET body only when told its length.
    const res = await send(front, '/get-with-body', { headers: { 'Content-Type': 'application/json', 'Content-Length': String(body.length) }, body });
    expect(res.status).toBe(200);
    const seen = await arrived(legacy, '/get-with-body');
    expect(seen.method).toBe('GET');
    expect(seen.bodySha256).toBe(sha256(body));

    const chunked = await sendRaw(
      front.url,
      'GET /get-with-chunked-body HTTP/1.1\r\nHost: forum.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\nabcd\r\n0\r\n\r\n',
    );
    expect(chunked).toMatch(/^HTTP\/1\.1 200 /);
    expect((await arrived(legacy, '/get-with-chunked-body')).bodySha256).toBe(sha256('abcd'));
  });

  it('delivers a 10 MB POST intact', async () => {
    const body = randomBytes(10 * 1024 * 1024);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: front.port,
          path: '/big-upload',
          method: 'POST',
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length },
          agent: false,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      // In 64 KiB pieces, as a real upload arrives.
      const write = (offset: number): void => {
        if (offset >= body.length) return void req.end();
        const ok = req.write(body.subarray(offset, offset + 65536));
        if (ok) write(offset + 65536);
        else req.once('drain', () => write(offset + 65536));
      };
      write(0);
    });
    expect(status).toBe(200);
    const seen = await arrived(legacy, '/big-upload');
    expect(seen.bodyBytes).toBe(body.length);
    expect(seen.bodySha256).toBe(sha256(body));
  });

  it.each([
    ['both Content-Length and Transfer-Encoding', 'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n'],
    ['two different Content-Length headers', 'Content-Length: 4\r\nContent-Length: 40\r\n'],
  ])('refuses a request with %s with 400 and never forwards it', async (_name, framing) => {
    const answer = await sendRaw(
      front.url,
      `POST /smuggle HTTP/1.1\r\nHost: forum.test\r\n${framing}Connection: close\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: forum.test\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    await expectStillServing();
    expect(legacy.requests.some((r) => r.url === '/smuggle' || r.url === '/smuggled')).toBe(false);
  });

  it('keeps every Set-Cookie header of the backend response', async () => {
    const res = await send(front, '/login?echo=cookies');
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/; HttpOnly', 'b=2; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT']);
  });

  it('answers HEAD with headers and no body bytes', async () => {
    const answer = await sendRaw(front.url, 'HEAD /head-check?echo=status&status=200 HTTP/1.1\r\nHost: forum.test\r\nConnection: close\r\n\r\n');
    const [head, rest] = [answer.slice(0, answer.indexOf('\r\n\r\n')), answer.slice(answer.indexOf('\r\n\r\n') + 4)];
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(head).toMatch(/\r\nx-backend: legacy/i);
    expect(rest).toBe('');
    expect((await arrived(legacy, '/head-check?echo=status&status=200')).method).toBe('HEAD');
  });

  it('delivers the first chunk of a streaming response before the backend ends the stream', async () => {
    const first = await firstChunk(front.port, '/live?echo=stream');
    expect(first).toBe('first chunk\n');
    legacy.release();
  });
});
