import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInternalCaller, InternalCallError, withRequestDeadline } from './caller.ts';

// Answers with the status named in the path: /status/404 → 404; /slow/300 answers 200 after 300 ms.
let server: Server;
let baseUrl: string;
let requestsSeen = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    const slowMs = /\/slow\/(\d+)/.exec(req.url ?? '')?.[1];
    if (slowMs) {
      requestsSeen += 1;
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"slow":true}'), Number(slowMs));
      return;
    }
    const status = Number(/\/status\/(\d+)/.exec(req.url ?? '')?.[1] ?? 200);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status, auth: req.headers.authorization }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

const kindOf = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'answered',
    (err: unknown) => (err instanceof InternalCallError ? err.kind : `other: ${String(err)}`),
  );

describe('createInternalCaller', () => {
  it('answers the parsed JSON of a 200, having sent the bearer token', async () => {
    expect(await createInternalCaller({ baseUrl, token: 'secret' }).post('/status/200', {})).toEqual({ status: 200, auth: 'Bearer secret' });
  });

  it.each([
    [404, 'not_found'],
    [401, 'unauthorized'],
    [400, 'bad_answer'],
    [503, 'unavailable'],
  ])('maps an answer %d to the failure %s', async (status, kind) => {
    expect(await kindOf(createInternalCaller({ baseUrl, token: 't' }).post(`/status/${status}`, {}))).toBe(kind);
  });

  it("waits past its own timeout for an answer that comes before the request's deadline", async () => {
    const caller = createInternalCaller({ baseUrl, token: 't', timeoutMs: 50 });
    expect(await caller.post('/slow/300', {}, { deadline: Date.now() + 30_000 })).toEqual({ slow: true });
  });

  it("gives up at the request's deadline, naming the time it waited", async () => {
    const caller = createInternalCaller({ baseUrl, token: 't', timeoutMs: 30_000 });
    await expect(caller.post('/slow/5000', {}, { deadline: Date.now() + 100 })).rejects.toMatchObject({
      kind: 'timeout',
      message: expect.stringMatching(/gave no answer within \d+ ms/),
    });
  });

  it("does not call at all once the request's deadline has passed", async () => {
    const before = requestsSeen;
    const caller = createInternalCaller({ baseUrl, token: 't' });
    await expect(caller.post('/slow/1', {}, { deadline: Date.now() - 1 })).rejects.toMatchObject({
      kind: 'timeout',
      message: expect.stringContaining("the request's deadline had passed"),
    });
    expect(requestsSeen).toBe(before);
  });

  it("gives every call made inside withRequestDeadline that request's deadline", async () => {
    const caller = createInternalCaller({ baseUrl, token: 't', timeoutMs: 50 });
    const nested = async () => caller.post('/slow/300', {});
    expect(await withRequestDeadline(Date.now() + 30_000, () => nested())).toEqual({ slow: true });
    await expect(withRequestDeadline(Date.now() + 100, () => createInternalCaller({ baseUrl, token: 't', timeoutMs: 30_000 }).post('/slow/5000', {}))).rejects.toMatchObject({
      kind: 'timeout',
    });
  });

  it('reports a side that is not listening as unavailable', async () => {
    expect(await kindOf(createInternalCaller({ baseUrl: 'http://127.0.0.1:1', token: 't' }).post('/x', {}))).toBe('unavailable');
  });
});
