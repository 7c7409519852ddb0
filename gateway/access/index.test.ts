import { createServer, request, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCESS_FIELDS, accessRecord, answeredByParams, answeredBySide, answeredByValue, exchangeBytes, type ExchangeBytes } from './index.ts';

describe('accessRecord', () => {
  it('has every field of the schema, null where nothing applies', () => {
    const record = accessRecord({ requestId: 'r', method: 'GET', path: '/_internal/x', status: 404, durationMs: 1.4, bytesIn: 10, bytesOut: 20 });
    expect(Object.keys(record).sort()).toEqual([...ACCESS_FIELDS].sort());
    expect(record).toMatchObject({ route: null, revision: null, backend: null, upstream_first_byte_s: null, failure: null });
  });

  it('writes durations in seconds with millisecond resolution, as nginx does', () => {
    const record = accessRecord({ requestId: 'r', method: 'GET', path: '/', status: 200, durationMs: 1234.56, upstreamFirstByteMs: 2.4, bytesIn: 0, bytesOut: 0 });
    expect([record.duration_s, record.upstream_first_byte_s]).toEqual([1.235, 0.002]);
  });
});

describe('the answered-by header', () => {
  it('names the side first, then the route and the revision', () =>
    expect(answeredByValue('ts', '/api/v1/threads', '7-1f3a9c0b')).toBe('ts; route="/api/v1/threads"; revision=7-1f3a9c0b'));
  it('adds canary and fallback after the revision, where a reader of the side still finds it first', () => {
    const value = answeredByValue('legacy', '/b', '7-1f3a9c0b', { canary: true, fallback: 'ts-error' });
    expect(value).toBe('legacy; route="/b"; revision=7-1f3a9c0b; canary; fallback=ts-error');
    expect(answeredBySide(value)).toBe('legacy');
    expect(answeredByParams(value)).toEqual({ route: '/b', revision: '7-1f3a9c0b', canary: '', fallback: 'ts-error' });
    expect(answeredByParams('ts')).toEqual({});
  });
  it('gives the side back from a full value, a bare side or nothing', () => {
    expect(answeredBySide('legacy; route="/"; revision=1-00c0ffee')).toBe('legacy');
    expect(answeredBySide('ts')).toBe('ts');
    expect(answeredBySide(null)).toBeNull();
    expect(answeredBySide('')).toBeNull();
  });
});

describe('exchangeBytes', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('counts each exchange of a kept-alive connection apart: the whole request read and the whole response written', async () => {
    const counted: ExchangeBytes[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.once('finish', () => counted.push(exchangeBytes(req)));
        res.end(req.url === '/big' ? 'x'.repeat(5000) : 'ok');
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    close = async () => {
      agent.destroy();
      await new Promise((done) => server.close(done));
    };
    const { port } = server.address() as AddressInfo;
    const send = (path: string, body: string) =>
      new Promise<void>((done, reject) => {
        const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-length': Buffer.byteLength(body) } }, (res) =>
          res.resume().on('end', done),
        );
        req.on('error', reject);
        req.end(body);
      });
    await send('/big', 'a'.repeat(300));
    await send('/small', 'b');
    expect(counted).toHaveLength(2);
    const [big, small] = counted as [ExchangeBytes, ExchangeBytes];
    // Each request is its head plus its body; each response its head plus its body, and no more.
    expect(big.bytesIn).toBeGreaterThan(300);
    expect(small.bytesIn).toBeLessThan(300);
    expect(big.bytesOut).toBeGreaterThan(5000);
    expect(small.bytesOut).toBeLessThan(500);
  });
});
