import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInternalCaller, InternalCallError } from './caller.ts';

// Answers with the status named in the path: /status/404 → 404.
let server: Server;
let baseUrl: string;
beforeAll(async () => {
  server = createServer((req, res) => {
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

  it('reports a side that is not listening as unavailable', async () => {
    expect(await kindOf(createInternalCaller({ baseUrl: 'http://127.0.0.1:1', token: 't' }).post('/x', {}))).toBe('unavailable');
  });
});
