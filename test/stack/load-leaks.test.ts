/**
 * Nothing grows without bound: three rounds of load with idle gaps, then the TS server's memory has
 * levelled off and legacy's open files are back to what it had before the first request. The long
 * version (3 x 60 s) is bench/leaks.ts. Here each round is a fixed number of requests, not a time, so
 * rounds compare on a machine of any speed or load; the threshold is generous for a loaded machine and
 * still catches a leak of 8 KiB per request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.ts';
import { cookieOf, eventually, openFiles, postJson, readLoad, rssMiB } from './load-support.ts';

const ROUNDS = 3;
const REQUESTS_PER_ROUND = 1_500;
const IDLE_GAP_MS = 2_000;
const WORKERS = 30;
// Past the first round the TS server's heap has found its size; a leak of 8 KiB per request would add
// more than this in a round.
const MAX_LAST_ROUND_GROWTH_MIB = 12;
// Legacy keeps its listening socket and nothing else between requests: idle kept-alive connections
// close (the edge's after 4 s, the internal client's after 30 s), and with them their threads' SQLite
// connections. A little slack for a connection still closing.
const FD_SLACK = 3;
const FD_SETTLE_MS = 90_000;
// The missing page is a 404 and /api/v1/me without a cookie a 401: both real answers.
const EXPECTED = [200, 401, 404];
const PATHS = ['/', '/b/general', '/api/v1/boards/general/threads', '/api/v1/boards', '/api/v1/threads/1', '/t/1', '/t/1?page=2', '/no-such-page', '/api/v1/me'];

describe('after rounds of load with idle gaps', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('edge', { FORUM_PBKDF2_ITERATIONS: '1000' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("levels off the TS server's memory and returns legacy's open files to their baseline", { timeout: 300_000 }, async () => {
    const legacyPid = stack.legacy.child.pid!;
    const tsPid = stack.ts.child.pid!;
    const baselineFiles = openFiles(legacyPid);
    const login = await postJson(`${stack.front.url}/api/v1/login`, { username: 'alice', password: 'alice-password' });
    expect(login.status).toBe(200);
    const cookie = cookieOf(login.cookies);

    const rss: number[] = [];
    const served: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const reads = readLoad(stack.front.url, PATHS, WORKERS, EXPECTED);
      let replies = 0;
      while (reads.served() + replies < REQUESTS_PER_ROUND) {
        const reply = await postJson(`${stack.front.url}/api/v1/threads/1/posts`, { body: `round ${round} reply ${replies}` }, cookie);
        expect(reply.status).toBe(201);
        replies += 1;
      }
      const statuses = await reads.stop();
      served.push(Object.values(statuses).reduce((a, b) => a + b, 0) + replies);
      expect(
        Object.keys(statuses).filter((status) => !EXPECTED.includes(Number(status))),
        reads.failures.join('\n'),
      ).toEqual([]);
      await new Promise((r) => setTimeout(r, IDLE_GAP_MS));
      rss.push(rssMiB(tsPid));
    }

    const report = `TS RSS after each round (MiB): ${rss.map((mib) => mib.toFixed(1)).join(', ')}; requests per round: ${served.join(', ')}`;
    expect(rss[ROUNDS - 1]! - rss[ROUNDS - 2]!, report).toBeLessThan(MAX_LAST_ROUND_GROWTH_MIB);
    const settled = await eventually(() => openFiles(legacyPid) <= baselineFiles + FD_SLACK, FD_SETTLE_MS);
    expect(settled, `legacy had ${baselineFiles} open files before the load and still ${openFiles(legacyPid)} after ${FD_SETTLE_MS} ms idle`).toBe(true);
  });
});
