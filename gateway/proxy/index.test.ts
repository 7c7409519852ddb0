import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { firstChunk, startEchoBackend, type EchoBackend } from '../../test/helpers/echo-backend.ts';
import { freePort } from '../process/index.ts';
import type { Backend } from '../routes/types.ts';
import { createProxy, type ForwardOptions, type ForwardOutcome, type Proxy, type ProxyOptions } from './index.ts';

interface Front {
  url: string;
  port: number;
  logs: Record<string, unknown>[];
  /** What forward() resolved with, one per request, in the order they ended. */
  outcomes: ForwardOutcome[];
  close(): Promise<void>;
}

const asBackend = (echo: { url: string; host: string; port: number }): Backend => ({ name: 'legacy', url: echo.url, host: echo.host, port: echo.port });

/** A server that forwards every request to `target` through a fresh proxy. */
async function startFront(target: Backend, forwardOptions: ForwardOptions = {}, proxyOptions: Partial<ProxyOptions> = {}): Promise<Front> {
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  const proxy: Proxy = createProxy({ logger, ...proxyOptions });
  const outcomes: ForwardOutcome[] = [];
  const server: Server = createServer((req, res) => {
    res.setHeader('X-Request-Id', 'front-id');
    void proxy.forward(req, res, target, forwardOptions).then((outcome) => outcomes.push(outcome));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    logs,
    outcomes,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await proxy.close();
    },
  };
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  trailers: NodeJS.Dict<string>;
  body: string;
}

/** One request over raw node:http, no normalization of the target. */
function send(front: Front, path: string, init: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: front.port, path, method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, trailers: res.trailers, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('createProxy', () => {
  let echo: EchoBackend;
  let front: Front | undefined;
  beforeEach(async () => {
    echo = await startEchoBackend('legacy');
  });
  afterEach(async () => {
    await front?.close();
    front = undefined;
    await echo.close();
  });

  it('sends the request-target byte for byte, with the client Host and without hop-by-hop headers', async () => {
    front = await startFront(asBackend(echo), { requestId: 'abc' });
    const res = await send(front, '/a/%2e%2e/b//c\\d?x=1&y=%20', {
      headers: { Host: 'example.test', Connection: 'keep-alive, x-secret', 'X-Secret': '1', 'Keep-Alive': 'timeout=5', Te: 'trailers' },
    });
    expect(res.status).toBe(200);
    const seen = echo.requests.at(-1)!;
    expect(seen.url).toBe('/a/%2e%2e/b//c\\d?x=1&y=%20');
    expect(seen.headers.host).toBe('example.test');
    expect(seen.headers['x-secret']).toBeUndefined();
    expect(seen.headers['keep-alive']).toBeUndefined();
    expect(seen.headers.te).toBeUndefined();
    expect(seen.headers['x-request-id']).toBe('abc');
  });

  it('sends the path and headers the caller asks for, removing headers set to undefined', async () => {
    front = await startFront(asBackend(echo), { path: '/rewritten?q=1', headers: { 'X-Added': 'yes', 'X-Drop': undefined } });
    await send(front, '/original', { headers: { 'X-Drop': 'forged' } });
    const seen = echo.requests.at(-1)!;
    expect(seen.url).toBe('/rewritten?q=1');
    expect(seen.headers['x-added']).toBe('yes');
    expect(seen.headers['x-drop']).toBeUndefined();
  });

  it('keeps every Set-Cookie header and drops Server and X-Powered-By', async () => {
    front = await startFront(asBackend(echo));
    const res = await send(front, '/?echo=cookies');
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/; HttpOnly', 'b=2; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT']);
    expect(res.headers.server).toBeUndefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-backend']).toBe('legacy');
  });

  it('keeps a header the caller set over the upstream one', async () => {
    front = await startFront(asBackend(echo));
    const res = await send(front, '/');
    expect(res.headers['x-request-id']).toBe('front-id');
  });

  it("adds answer headers to the upstream's answer: a single value replaces the upstream's, a list follows its values", async () => {
    front = await startFront(asBackend(echo), { routeHeaders: { 'X-Backend': 'announced', 'Set-Cookie': ['c=3; Path=/'] } });
    const res = await send(front, '/?echo=cookies');
    expect(res.headers['x-backend']).toBe('announced');
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/; HttpOnly', 'b=2; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT', 'c=3; Path=/']);
  });

  it("leaves answer headers off the gateway's own error page", async () => {
    const port = await freePort();
    front = await startFront(
      { name: 'ts', url: `http://127.0.0.1:${port}`, host: '127.0.0.1', port },
      { routeHeaders: { Deprecation: '@1', Link: ['</v2>; rel="successor-version"'] } },
    );
    const res = await send(front, '/x');
    expect([res.status, res.headers.deprecation, res.headers.link]).toEqual([502, undefined, undefined]);
  });

  it('answers the 502 page, not cached, when nothing listens at the backend', async () => {
    const port = await freePort();
    front = await startFront({ name: 'ts', url: `http://127.0.0.1:${port}`, host: '127.0.0.1', port });
    const res = await send(front, '/x');
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatch(/502/);
    expect(front.logs.some((line) => line.failure === 'upstream-unreachable' && line.status === 502)).toBe(true);
  });

  it('serves the exact bytes of the error page from the pages directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pages-'));
    writeFileSync(join(dir, '502.html'), '<p>custom bad gateway</p>\n');
    const port = await freePort();
    front = await startFront({ name: 'ts', url: `http://127.0.0.1:${port}`, host: '127.0.0.1', port }, {}, { errorPagesDir: dir });
    const res = await send(front, '/');
    expect(res.body).toBe('<p>custom bad gateway</p>\n');
  });

  it('answers 504 when the upstream stays silent longer than the timeout', async () => {
    front = await startFront(asBackend(echo), {}, { timeoutMs: 200 });
    const res = await send(front, '/?echo=slow&ms=2000');
    expect(res.status).toBe(504);
    expect(res.body).toMatch(/504/);
  });

  it('closes the client connection when the upstream dies mid-response, and keeps serving', async () => {
    front = await startFront(asBackend(echo));
    await expect(send(front, '/?echo=abort')).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
    expect((await send(front, '/')).status).toBe(200);
  });

  it('passes response trailers through on a chunked response', async () => {
    front = await startFront(asBackend(echo));
    const res = await send(front, '/?echo=trailers');
    expect(res.body).toBe('body with a trailer\n');
    expect(res.headers.trailer).toBe('X-Checksum');
    expect(res.trailers['x-checksum']).toBe('abc123');
  });

  it('answers HEAD with the headers and no body', async () => {
    front = await startFront(asBackend(echo));
    const res = await send(front, '/?echo=status&status=200', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    expect(echo.requests.at(-1)!.method).toBe('HEAD');
  });

  it('flushes the first chunk of a streaming response before the upstream ends it', async () => {
    front = await startFront(asBackend(echo));
    const first = await firstChunk(front!.port, '/?echo=stream');
    expect(first).toBe('first chunk\n');
    echo.release();
  });

  it('sends a chunked DELETE body framed, as one request', async () => {
    front = await startFront(asBackend(echo));
    const res = await sendRaw(
      front.port,
      'DELETE /thing HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' + '1d\r\nGET /smuggled HTTP/1.1\r\nX: \r\n\r\n0\r\n\r\n',
    );
    expect(res).toMatch(/^HTTP\/1\.1 200/);
    expect(echo.requests.map((r) => r.url)).toEqual(['/thing']);
    expect(echo.requests[0]!.bodyBytes).toBe(0x1d);
    expect(echo.requests[0]!.headers['content-length']).toBe('29');
  });

  it('sends a chunked body upstream whole with a Content-Length and no Transfer-Encoding', async () => {
    front = await startFront(asBackend(echo), { maxBodyBytes: 1000 });
    const res = await sendRaw(front.port, 'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n');
    expect(res).toMatch(/^HTTP\/1\.1 200/);
    expect(echo.requests[0]).toMatchObject({ bodyBytes: 7, headers: expect.objectContaining({ 'content-length': '7' }) });
    expect(echo.requests[0]!.headers['transfer-encoding']).toBeUndefined();
  });

  it('refuses an announced body over maxBodyBytes with 413 without contacting the upstream', async () => {
    front = await startFront(asBackend(echo), { maxBodyBytes: 10 });
    const res = await send(front, '/upload', { method: 'POST', body: 'x'.repeat(11) });
    expect(res.status).toBe(413);
    expect(echo.requests).toHaveLength(0);
  });

  it('refuses a chunked body that grows over maxBodyBytes with 413', async () => {
    front = await startFront(asBackend(echo), { maxBodyBytes: 1000 });
    const res = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: front!.port, path: '/upload', method: 'POST', agent: false }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      // Two chunks, the second once the first is out: the limit is crossed while the body streams.
      req.write('x'.repeat(800), () => req.end('x'.repeat(800)));
    });
    expect(res).toBe(413);
  });

  it('passes a body within maxBodyBytes through intact', async () => {
    front = await startFront(asBackend(echo), { maxBodyBytes: 1000 });
    const res = await send(front, '/upload', { method: 'POST', body: 'hello' });
    expect(res.status).toBe(200);
    expect(echo.requests.at(-1)!.bodyBytes).toBe(5);
  });

  it('sends a bodiless GET again on a fresh connection when a reused keep-alive connection was reset', async () => {
    const flaky = await startResettingBackend();
    front = await startFront(flaky.backend);
    try {
      expect((await send(front, '/one')).status).toBe(200);
      expect((await send(front, '/two')).status).toBe(200);
      expect(flaky.connections()).toBe(2);
    } finally {
      await front.close();
      front = undefined;
      await flaky.close();
    }
  });

  it('answers 502 rather than sending a POST twice when a reused connection was reset', async () => {
    const flaky = await startResettingBackend();
    front = await startFront(flaky.backend);
    try {
      expect((await send(front, '/one')).status).toBe(200);
      expect((await send(front, '/two', { method: 'POST', body: 'once only' })).status).toBe(502);
      expect(flaky.connections()).toBe(1);
    } finally {
      await front.close();
      front = undefined;
      await flaky.close();
    }
  });

  it('treats a client that goes away mid-response as no error and keeps serving', async () => {
    front = await startFront(asBackend(echo));
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: front!.port, path: '/?echo=stream', agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.on('response', () => undefined);
      req.once('socket', (socket) => socket.on('error', reject));
      req.end();
    });
    // The proxy notices the client is gone (and says so at debug level) before the assertions below.
    await vi.waitFor(() => expect(front!.logs.some((line) => line.event === 'proxy_failed')).toBe(true), { timeout: 10_000 });
    expect((await send(front, '/')).status).toBe(200);
    expect(front.logs.filter((line) => (line.level as number) >= 40)).toEqual([]);
  });

  describe('the outcome of a forward', () => {
    /** The outcome of the request that ended last, once the proxy has settled it. */
    const settled = async (count = 1): Promise<ForwardOutcome> => {
      await vi.waitFor(() => expect(front!.outcomes.length).toBeGreaterThanOrEqual(count), { timeout: 10_000 });
      return front!.outcomes.at(-1)!;
    };

    it('reports status, backend, both durations and the body bytes each way of a complete answer', async () => {
      front = await startFront(asBackend(echo));
      const res = await send(front, '/upload', { method: 'POST', body: 'hello' });
      const outcome = await settled();
      expect(outcome).toMatchObject({ backend: 'legacy', status: 200, failure: null, requestBodyBytes: 5, responseBodyBytes: Buffer.byteLength(res.body), retried: false });
      expect(outcome.firstByteMs).toBeGreaterThanOrEqual(0);
      expect(outcome.totalMs).toBeGreaterThanOrEqual(outcome.firstByteMs!);
    });

    it('counts a chunked request body as read whole', async () => {
      front = await startFront(asBackend(echo));
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: front!.port, path: '/upload', method: 'POST', agent: false }, (r) => r.resume().on('end', resolve));
        req.on('error', reject);
        req.write('x'.repeat(300), () => req.end('y'.repeat(200)));
      });
      expect((await settled()).requestBodyBytes).toBe(500);
    });

    it('reports upstream-unreachable and no first byte when nothing listens, with the page as the body sent', async () => {
      const port = await freePort();
      front = await startFront({ name: 'ts', url: `http://127.0.0.1:${port}`, host: '127.0.0.1', port });
      const res = await send(front, '/x');
      expect(await settled()).toMatchObject({ backend: 'ts', status: 502, failure: 'upstream-unreachable', firstByteMs: null, responseBodyBytes: Buffer.byteLength(res.body) });
    });

    it('reports upstream-timeout with the 504 the client got', async () => {
      front = await startFront(asBackend(echo), {}, { timeoutMs: 200 });
      await send(front, '/?echo=slow&ms=2000');
      expect(await settled()).toMatchObject({ status: 504, failure: 'upstream-timeout', firstByteMs: null });
    });

    it('reports upstream-broken with the status already sent when the upstream dies mid-response', async () => {
      front = await startFront(asBackend(echo));
      await send(front, '/?echo=abort').catch(() => undefined);
      const outcome = await settled();
      expect(outcome).toMatchObject({ status: 200, failure: 'upstream-broken' });
      expect(outcome.firstByteMs).not.toBeNull();
    });

    it('reports body-too-large with 413 for a body over the limit', async () => {
      front = await startFront(asBackend(echo), { maxBodyBytes: 10 });
      await send(front, '/upload', { method: 'POST', body: 'x'.repeat(11) });
      expect(await settled()).toMatchObject({ status: 413, failure: 'body-too-large' });
    });

    it('reports client-gone, and 499 when nothing was sent, for a client that leaves before the answer', async () => {
      front = await startFront(asBackend(echo));
      const req = request({ host: '127.0.0.1', port: front.port, path: '/?echo=slow&ms=3000', agent: false });
      req.on('error', () => undefined);
      req.end();
      await vi.waitFor(() => expect(echo.requests.length).toBe(1), { timeout: 10_000 });
      req.destroy();
      expect(await settled()).toMatchObject({ status: 499, failure: 'client-gone' });
    });

    it('says the request went twice when a reused connection was reset under a GET', async () => {
      const flaky = await startResettingBackend();
      front = await startFront(flaky.backend);
      try {
        await send(front, '/one');
        await send(front, '/two');
        expect(await settled(2)).toMatchObject({ status: 200, failure: null, retried: true });
      } finally {
        await front.close();
        front = undefined;
        await flaky.close();
      }
    });
  });
});

/** A backend that answers the first request of a connection and resets the connection on the next one. */
async function startResettingBackend(): Promise<{ backend: Backend; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server = createNetServer((socket) => {
    connections += 1;
    let served = 0;
    socket.on('data', () => {
      if (served++ === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
      else socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    backend: { name: 'legacy', url: `http://127.0.0.1:${port}`, host: '127.0.0.1', port },
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Write raw bytes and collect the whole answer until the server closes. */
function sendRaw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}
