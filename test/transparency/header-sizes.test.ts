/**
 * Large header blocks: a response head up to 64 KiB and a request head up to 32 KiB pass through every
 * door unchanged; past the limit every door gives the same documented answer: 502 and its page for a
 * response head, 431 and its page for a request head (gateway/proxy/header-limits.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadErrorPages } from '../../gateway/proxy/index.ts';
import type { RawResponse } from '../helpers/raw-http.ts';
import { differences, finalAnswer, startDoors, type Doors } from './doors.ts';

const PAGES = loadErrorPages();
const KIB = 1024;

/** Header lines of about `bytes` in total, in lines of at most `lineBytes`, named X-Big-<n>. */
function bigHeaders(bytes: number, lineBytes: number): string {
  const lines: string[] = [];
  for (let n = 0, left = bytes; left > 0; n++) {
    const name = `X-Big-${n}: `;
    const size = Math.min(lineBytes, left);
    lines.push(`${name}${String.fromCharCode(97 + (n % 26)).repeat(Math.max(1, size - name.length - 2))}\r\n`);
    left -= size;
  }
  return lines.join('');
}

let doors: Doors;

beforeAll(async () => {
  doors = await startDoors((req, socket) => {
    // /respond/<total>/<line>: a response head of about that size; anything else: how large the request head was.
    const [, kind, total, line] = req.target.split('/');
    if (kind === 'respond') {
      const body = 'ok\n';
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${bigHeaders(Number(total), Number(line))}Content-Length: ${body.length}\r\n\r\n${body}`);
    } else {
      const body = `a head of ${req.head.length} bytes with ${Object.keys(req.headers).filter((name) => name.startsWith('x-big-')).length} big headers\n`;
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    }
  });
});

afterAll(async () => {
  await doors?.stop();
});

const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: app.test\r\n${extra}Connection: close\r\n\r\n`;

/** `status content-type page` of an answer, for comparing refusals door by door. */
const describeRefusal = (answer: RawResponse | undefined, status: 431 | 502): string =>
  `${answer?.status} ${answer?.headers['content-type']} ${answer?.body === PAGES[status].toString('latin1') ? `the ${status} page` : JSON.stringify(answer?.body.slice(0, 60))}`;

async function throughEveryDoor(request: string): Promise<Record<string, RawResponse | undefined>> {
  const answers: Record<string, RawResponse | undefined> = {};
  for (const door of doors.names) answers[door] = finalAnswer(await doors.send(door, request));
  return answers;
}

const none = (): Record<string, string[]> => Object.fromEntries(doors.names.map((door) => [door, []]));

describe('response header blocks', () => {
  it.each([
    ['60 KiB in lines of 1 KiB', 60 * KIB, KIB],
    ['60 KiB in one line', 60 * KIB, 60 * KIB],
    ['8 KiB (past nginx’s 4 KiB default)', 8 * KIB, 512],
  ])('pass through every door unchanged: %s', async (_, total, line) => {
    const direct = finalAnswer(await doors.send('direct', get(`/respond/${total}/${line}`)));
    expect(direct?.status).toBe(200);
    const answers = await throughEveryDoor(get(`/respond/${total}/${line}`));
    expect(Object.fromEntries(Object.entries(answers).map(([door, answer]) => [door, differences(direct, answer)]))).toEqual(none());
  });

  it('past 64 KiB are answered 502 with the 502 page by every door', async () => {
    const answers = await throughEveryDoor(get(`/respond/${70 * KIB}/${KIB}`));
    expect(Object.fromEntries(Object.entries(answers).map(([door, answer]) => [door, describeRefusal(answer, 502)]))).toEqual(
      Object.fromEntries(doors.names.map((door) => [door, '502 text/html; charset=utf-8 the 502 page'])),
    );
  });
});

describe('request header blocks', () => {
  it.each([
    ['30 KiB in lines of 1 KiB', 30 * KIB, KIB],
    ['30 KiB in one line', 30 * KIB, 30 * KIB],
    ['12 KiB in one line (past nginx’s 8 KiB default)', 12 * KIB, 12 * KIB],
  ])('reach the app through every door: %s', async (_, total, line) => {
    const request = get('/echo', bigHeaders(total, line));
    const direct = finalAnswer(await doors.send('direct', request));
    const answers = await throughEveryDoor(request);
    // The app reports the size of the head it got: the doors add their own headers, so only the count of big ones is compared.
    const count = (answer: RawResponse | undefined): string => `${answer?.status} ${answer?.body.replace(/a head of \d+ bytes /, '')}`;
    expect(Object.fromEntries(Object.entries(answers).map(([door, answer]) => [door, count(answer)]))).toEqual(
      Object.fromEntries(doors.names.map((door) => [door, count(direct)])),
    );
  });

  it.each([
    ['48 KiB in lines of 1 KiB', 48 * KIB, KIB],
    ['40 KiB in one line', 40 * KIB, 40 * KIB],
    ['200 KiB in lines of 1 KiB', 200 * KIB, KIB],
  ])('past 32 KiB are answered 431 with the 431 page by every door: %s', async (_, total, line) => {
    const before = doors.standIn.requests.length;
    const answers = await throughEveryDoor(get('/echo', bigHeaders(total, line)));
    expect(Object.fromEntries(Object.entries(answers).map(([door, answer]) => [door, describeRefusal(answer, 431)]))).toEqual(
      Object.fromEntries(doors.names.map((door) => [door, '431 text/html; charset=utf-8 the 431 page'])),
    );
    expect(doors.standIn.requests.length).toBe(before);
  });
});
