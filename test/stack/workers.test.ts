/**
 * The whole stack with the TS server as two worker processes (TS_WORKERS=2): a logout that legacy
 * reports to one worker is honoured at once by both, though each had the session cached.
 */
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../helpers/processes.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

type Line = Record<string, unknown>;

const linesOf = (process: { output: string[] }): Line[] =>
  process.output.flatMap((line) => {
    try {
      return [JSON.parse(line) as Line];
    } catch {
      return [];
    }
  });

const getOnNewConnection = (url: string, headers: Record<string, string>): Promise<number> =>
  new Promise((done, reject) => {
    get(url, { agent: false, headers }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode!));
    }).on('error', reject);
  });

describe('logout with two TS workers', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('edge', { LOG_LEVEL: 'info', FORUM_PBKDF2_ITERATIONS: '1000', TS_WORKERS: '2' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /**
   * `count` GET /api/v1/me straight to the TS server, each on a connection of its own so that the
   * cluster's round robin hands them to both workers: their statuses and the workers that answered.
   */
  async function me(cookie: string, count: number, tag: string): Promise<{ statuses: number[]; pids: Set<unknown> }> {
    const ids = Array.from({ length: count }, (_, i) => `${tag}-${Date.now()}-${i}`);
    const statuses: number[] = [];
    for (const id of ids) statuses.push(await getOnNewConnection(`${stack.ts.url}/api/v1/me`, { cookie, 'x-request-id': id }));
    const accessLine = (id: string) => linesOf(stack.ts).find((line) => line.event === 'access' && line.request_id === id);
    await waitUntil(() => ids.every(accessLine), `the TS access lines of ${tag}`);
    return { statuses, pids: new Set(ids.map((id) => accessLine(id)!.pid)) };
  }

  it('answers 401 on every worker for the very next requests after a logout on legacy', async () => {
    const login = await fetch(`${stack.front.url}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers
      .getSetCookie()
      .map((line) => line.split(';')[0]!)
      .join('; ');

    for (let i = 0; i < 20; i++) expect((await fetch(`${stack.front.url}/api/v1/me`, { headers: { cookie } })).status).toBe(200);
    const warm = await me(cookie, 20, 'warm');
    expect(warm.statuses).toEqual(Array(20).fill(200));
    expect(warm.pids.size).toBe(2);

    const logout = await fetch(`${stack.front.url}/api/v1/logout`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: '{}' });
    expect(logout.status).toBe(200);
    const after = await me(cookie, 20, 'after-logout');
    expect(after.statuses).toEqual(Array(20).fill(401));
    expect(after.pids.size).toBe(2);
    expect((await fetch(`${stack.front.url}/api/v1/me`, { headers: { cookie } })).status).toBe(401);
    const forgets = linesOf(stack.ts).filter((line) => line.listener === 'internal' && line.method === 'DELETE' && String(line.path).startsWith('/_internal/v1/sessions/'));
    expect(forgets.map((line) => line.status)).toEqual([204]);
  });
});
