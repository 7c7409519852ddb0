import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { conventionalName, ConventionalHeaderCase } from './header-case.ts';

/** Raw header names as they came over the wire, for a handler run on a server using the class. */
async function rawNamesFor(handler: (res: ConventionalHeaderCase) => void): Promise<string[]> {
  const server = createServer({ ServerResponse: ConventionalHeaderCase }, (_req, res) => handler(res as ConventionalHeaderCase));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, agent: false }, (res) => {
        res.resume();
        resolve(res.rawHeaders.filter((_, i) => i % 2 === 0));
      })
        .on('error', reject)
        .end();
    });
  } finally {
    server.close();
  }
}

describe('conventionalName', () => {
  it.each([
    ['cache-control', 'Cache-Control'],
    ['content-type', 'Content-Type'],
    ['x-request-id', 'X-Request-Id'],
    ['etag', 'ETag'],
    ['www-authenticate', 'WWW-Authenticate'],
    ['Set-Cookie', 'Set-Cookie'],
  ])('spells %s as %s', (name, expected) => {
    expect(conventionalName(name)).toBe(expected);
  });
});

describe('ConventionalHeaderCase', () => {
  it('sends lower-case names given to writeHead as an object in their conventional spelling', async () => {
    const names = await rawNamesFor((res) => res.writeHead(200, { 'cache-control': 'no-store', etag: '"1"' }).end());
    expect(names).toEqual(expect.arrayContaining(['Cache-Control', 'ETag']));
    expect(names).not.toContain('cache-control');
  });

  it('renames a flat header array and keeps every Set-Cookie', async () => {
    const names = await rawNamesFor((res) => res.writeHead(200, 'OK', ['set-cookie', 'a=1', 'set-cookie', 'b=2', 'x-thing', 'y']).end());
    expect(names.filter((n) => n === 'Set-Cookie')).toHaveLength(2);
    expect(names).toContain('X-Thing');
  });
});
