import { describe, expect, it } from 'vitest';
import { buildRequestHeaders, filterResponseHeaders } from './headers.ts';

describe('buildRequestHeaders', () => {
  it('drops hop-by-hop headers and the ones the client lists in Connection', () => {
    const out = buildRequestHeaders(
      {
        host: 'a',
        connection: 'keep-alive, X-Private',
        'x-private': '1',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        upgrade: 'h2c',
        trailer: 'X-Sum',
        'proxy-authorization': 'Basic x',
        accept: '*/*',
      },
      {},
    );
    expect(out).toEqual({ host: 'a', accept: '*/*' });
  });

  it('keeps Content-Length, Transfer-Encoding and Host even when Connection names them', () => {
    const out = buildRequestHeaders({ host: 'a', connection: 'content-length, transfer-encoding, host', 'content-length': '4', 'transfer-encoding': 'chunked' }, {});
    expect(out).toEqual({ host: 'a', 'content-length': '4', 'transfer-encoding': 'chunked' });
  });

  it('drops Expect, which Node has already answered', () => {
    expect(buildRequestHeaders({ host: 'a', expect: '100-continue' }, {})).toEqual({ host: 'a' });
  });

  it('applies overrides case-insensitively: a string sets, undefined removes', () => {
    const out = buildRequestHeaders({ host: 'a', 'x-user-id': 'forged' }, { 'X-User-Id': undefined, 'X-Request-Id': 'abc' });
    expect(out).toEqual({ host: 'a', 'x-request-id': 'abc' });
  });
});

describe('filterResponseHeaders', () => {
  it('keeps repeated headers apart and in order, with their case', () => {
    expect(filterResponseHeaders(['Set-Cookie', 'a=1', 'Content-Type', 'text/html', 'Set-Cookie', 'b=2'], { keepTrailer: false })).toEqual([
      ['Set-Cookie', 'a=1'],
      ['Content-Type', 'text/html'],
      ['Set-Cookie', 'b=2'],
    ]);
  });

  it('drops hop-by-hop, Connection-listed and identifying headers', () => {
    const raw = [
      'Connection',
      'keep-alive, X-Hop',
      'X-Hop',
      '1',
      'Keep-Alive',
      'timeout=5',
      'Transfer-Encoding',
      'chunked',
      'Server',
      'gunicorn',
      'X-Powered-By',
      'Flask',
      'ETag',
      '"1"',
    ];
    expect(filterResponseHeaders(raw, { keepTrailer: false })).toEqual([['ETag', '"1"']]);
  });

  it('keeps the Trailer header only when asked to', () => {
    expect(filterResponseHeaders(['Trailer', 'X-Sum'], { keepTrailer: true })).toEqual([['Trailer', 'X-Sum']]);
    expect(filterResponseHeaders(['Trailer', 'X-Sum'], { keepTrailer: false })).toEqual([]);
  });
});
