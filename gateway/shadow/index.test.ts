import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { callHandler, copyBody, dropClientShadowHeader, isShadowRequest, readAnswer } from './index.ts';

const requestWith = (rawHeaders: string[]): IncomingMessage => {
  const req = new IncomingMessage(new Socket());
  req.rawHeaders = rawHeaders;
  for (let i = 0; i < rawHeaders.length; i += 2) req.headers[rawHeaders[i]!.toLowerCase()] = rawHeaders[i + 1]!;
  return req;
};

describe('isShadowRequest', () => {
  it('tells a copy from Headers, Node headers, a Request and a Hono context', async () => {
    expect(isShadowRequest(new Headers({ 'x-strangler-shadow': '1' }))).toBe(true);
    expect(isShadowRequest(new Headers({ 'x-strangler-shadow': '0' }))).toBe(false);
    expect(isShadowRequest({ 'x-strangler-shadow': '1' })).toBe(true);
    expect(isShadowRequest(new Request('http://x/', { headers: { 'X-Strangler-Shadow': '1' } }))).toBe(true);
    const app = new Hono().get('/', (c) => c.text(String(isShadowRequest(c))));
    expect(await (await app.request('/', { headers: { 'x-strangler-shadow': '1' } })).text()).toBe('true');
    expect(await (await app.request('/')).text()).toBe('false');
  });
});

describe('dropClientShadowHeader', () => {
  it('removes every spelling of the header from the parsed and the raw headers, and nothing else', () => {
    const req = requestWith(['Host', 'x', 'X-Strangler-Shadow', '1', 'x-strangler-shadow', '1', 'Accept', '*/*']);
    dropClientShadowHeader(req);
    expect(req.rawHeaders).toEqual(['Host', 'x', 'Accept', '*/*']);
    expect(req.headers['x-strangler-shadow']).toBeUndefined();
    expect(isShadowRequest(req)).toBe(false);
  });
});

describe('copyBody', () => {
  it('copies up to the cap and marks the rest truncated, while the stream still ends', async () => {
    const stream = new PassThrough();
    const copy = copyBody(stream, 5);
    stream.resume();
    stream.write('abc');
    stream.write('defg');
    stream.end('h');
    expect(await copy).toEqual({ body: Buffer.from('abc'), truncated: true, complete: true });
  });

  it('reports a stream that broke off as incomplete', async () => {
    const stream = new PassThrough();
    const copy = copyBody(stream, 5);
    stream.resume();
    stream.write('ab');
    stream.destroy();
    expect((await copy).complete).toBe(false);
  });
});

describe('readAnswer', () => {
  it('reads an answer up to the cap and drops the body of a HEAD', async () => {
    expect((await readAnswer(new Response('x'.repeat(10)), 4, 'GET')).truncated).toBe(true);
    const head = await readAnswer(new Response('abc', { headers: { 'Content-Type': 'text/plain' } }), 10, 'HEAD');
    expect(head).toMatchObject({ status: 200, contentType: 'text/plain', truncated: false });
    expect(head.body.length).toBe(0);
  });
});

describe('callHandler', () => {
  const call = { method: 'GET', target: '/a', headers: { host: 'x' }, body: null, requestId: 'r', timeoutMs: 1_000, maxBodyBytes: 1024 };

  it('sends the copy with X-Strangler-Shadow: 1 and reads its answer', async () => {
    const app = new Hono().get('/a', (c) => c.text(c.req.header('x-strangler-shadow') ?? 'none'));
    const result = await callHandler(app, call).result;
    expect(result.kind === 'answered' && result.answer.body.toString()).toBe('1');
  });

  it('turns a throwing handler into a failed result', async () => {
    const app = new Hono().get('/a', () => {
      throw new Error('boom');
    });
    app.onError((err) => {
      throw err;
    });
    expect((await callHandler(app, call).result).kind).toBe('failed');
  });

  it('fails a handler that does not answer in time, and says when it has really ended', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const app = new Hono().get('/a', async (c) => {
      await blocked;
      return c.text('late');
    });
    const running = callHandler(app, { ...call, timeoutMs: 20 });
    const result = await running.result;
    expect(result).toMatchObject({ kind: 'failed', reason: 'no answer within 20 ms' });
    let ended = false;
    void running.settled.then(() => (ended = true));
    await Promise.resolve();
    expect(ended).toBe(false);
    release();
    await running.settled;
  });
});
