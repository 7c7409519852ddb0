/**
 * An escaped reserved character in a path segment (`%2F`, `%5C`, `%3B`, `%40`, ...) reaches the app
 * still escaped through every door, as on a direct connection: routing uses the normalized path, the
 * request goes upstream as the client sent it. A target that would be ambiguous that way (a `.`, `..` or
 * empty segment once `%2F` and `%5C` are read as separators) goes upstream normalized, as before; and
 * nothing reaches /_internal either way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadErrorPages } from '../../gateway/proxy/index.ts';
import { finalAnswer, startDoors, type Doors } from './doors.ts';

const PAGES = loadErrorPages();
let doors: Doors;

beforeAll(async () => {
  doors = await startDoors((req, socket) => {
    const body = `target=${req.target}\n`;
    socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  });
});

afterAll(async () => {
  await doors?.stop();
});

const get = (target: string): string => `GET ${target} HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n`;

/** What the app got through each door, or the status and page name the door answered itself. */
async function throughEveryDoor(target: string): Promise<Record<string, string>> {
  const seen: Record<string, string> = {};
  for (const door of doors.names) {
    const answer = finalAnswer(await doors.send(door, get(target)));
    seen[door] = answer?.status === 200 ? answer.body.trim() : `${answer?.status}${answer?.body === PAGES[404].toString('latin1') ? ' the 404 page' : ''}`;
  }
  return seen;
}

const everyDoor = (value: string): Record<string, string> => Object.fromEntries(doors.names.map((door) => [door, value]));

describe('an escaped reserved character in a path segment', () => {
  it.each([
    '/repo/a%2Fb/files',
    '/repo/a%2fb/files?path=x%2Fy',
    '/repo/a%5Cb/files',
    '/repo/a%3Bb%3Dc/files',
    '/users/a%40example.org',
    '/files/a%2Bb%2C%26c',
    '/repo/a%2Fb%2F',
    '/repo/%7Euser/a%2Fb',
  ])('reaches the app still escaped through every door: %s', async (target) => {
    expect(finalAnswer(await doors.send('direct', get(target)))?.body.trim()).toBe(`target=${target}`);
    expect(await throughEveryDoor(target)).toEqual(everyDoor(`target=${target}`));
  });

  it('goes as written with the door’s usual header rules: forged identity headers dropped, a request id minted', async () => {
    const seen: Record<string, string> = {};
    for (const door of doors.names) {
      const before = doors.standIn.requests.length;
      const answer = finalAnswer(await doors.send(door, 'GET /repo/a%2Fb HTTP/1.1\r\nHost: app.test\r\nX-User-Id: 1\r\nConnection: close\r\n\r\n'));
      const got = doors.standIn.requests[before];
      seen[door] =
        `${got?.target} user=${got?.headers['x-user-id'] ?? 'none'} id=${/^[0-9a-f-]{32,36}$/.test(got?.headers['x-request-id'] ?? '')} answered-id=${answer?.headers['x-request-id'] === got?.headers['x-request-id']}`;
    }
    const front = '/repo/a%2Fb user=none id=true answered-id=true';
    // The TS server's public listener sits behind a door: it passes headers on as they come, and keeps a request id it was given.
    expect(seen).toEqual(Object.fromEntries(doors.names.map((door) => [door, door === 'ts' ? seen.ts : front])));
    expect(seen.ts).toMatch(/^\/repo\/a%2Fb /);
  });

  it('reaches the app still escaped through every door in an absolute-form target, as the path of it', async () => {
    expect(await throughEveryDoor('http://app.test/repo/a%2Fb?x=1')).toEqual(everyDoor('target=/repo/a%2Fb?x=1'));
  });

  it.each([
    ['/repo/a%2F..%2Fb', '/repo/b'],
    ['/repo/a%2F.%2Fb', '/repo/a/b'],
    ['/repo/a%2F%2Fb', '/repo/a/b'],
    ['/repo/a/../b%2Fc', '/repo/b/c'],
    ['/repo/a%2Fb?', '/repo/a/b'],
  ])('goes upstream normalized by every door when read with separators it has dot or empty segments (or an empty query): %s', async (target, normalized) => {
    expect(await throughEveryDoor(target)).toEqual(everyDoor(`target=${normalized}`));
  });

  it.each(['/_internal%2Fv1%2Fusers', '/x/..%2F_internal/v1', '/%5Finternal%2Fv1', '/a%2F..%2F_internal', '/_INTERNAL%3Bx', '/%2F_internal/v1'])(
    'never carries a path to /_internal: %s is answered with the 404 page by every door',
    async (target) => {
      expect(await throughEveryDoor(target)).toEqual(everyDoor('404 the 404 page'));
    },
  );
});
