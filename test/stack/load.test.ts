/**
 * A busy machine makes logins and posts slow, never failed. Legacy asks the TS side to check passwords
 * and render markdown; under full CPU contention (logins) or hundreds of writers beside readers (replies)
 * those calls share the request's deadline instead of a fixed 2 s, the TS side bounds password hashing
 * and says "come back in 1 s" when it is full, legacy comes back, and legacy's writers queue rather than
 * time out on SQLite's lock. Every answer is the real one (no 503); every write is in the database after.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/processes.ts';
import { NGINX, startStack, type FrontDoorKind, type Stack } from '../helpers/stack.ts';
import { cookieOf, postJson, readLoad, seedWithIterations, startCpuBurners } from './load-support.ts';

const FRONT_DOORS: FrontDoorKind[] = NGINX.ok ? ['edge', 'nginx'] : ['edge'];
// Real PBKDF2, a twelfth of production's 600,000 rounds: enough that 100 logins at once queue for the
// thread pool on two busy cores, few enough that a test run stays short.
const ITERATIONS = 50_000;
const USERS = 100;
const REPLIES = 500;
// Burners end by themselves after this even if a test is killed before its finally.
const BURN_MAX_MS = 240_000;
const LOAD_TEST_TIMEOUT_MS = 300_000;

/** The first error lines of each process, to say why when an answer was not the expected one. */
const errorsOf = (stack: Stack): string =>
  [stack.legacy, stack.ts]
    .flatMap((proc) => proc.output.filter((line) => /"level":("error"|50)|Traceback|Error:/.test(line)).slice(0, 3))
    .map((line) => line.slice(0, 600))
    .join('\n');

const tally = (statuses: number[]): Record<number, number> => statuses.reduce<Record<number, number>>((counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});

describe('logins while every CPU is busy', () => {
  let stack: Stack;
  let db: string;
  let cleanup: () => void;
  beforeAll(async () => {
    ({ dir: db, cleanup } = tempDir('strangler-load-'));
    db = seedWithIterations(db, ITERATIONS);
    stack = await startStack('edge', { FORUM_DB: db, FORUM_PBKDF2_ITERATIONS: String(ITERATIONS) });
  });
  afterAll(async () => {
    await stack?.stop();
    cleanup?.();
  });

  it(`registers ${USERS} users at once, then logs all of them in at once, with no 503, every user stored`, { timeout: LOAD_TEST_TIMEOUT_MS }, async () => {
    const names = Array.from({ length: USERS }, (_, i) => `loaduser${i}`);
    const burners = startCpuBurners(BURN_MAX_MS);
    try {
      const registered = await Promise.all(names.map((name) => postJson(`${stack.front.url}/api/v1/users`, { username: name, password: `${name}-password` })));
      expect(tally(registered.map((answer) => answer.status)), `${JSON.stringify(registered.find((answer) => answer.status !== 201)?.body)}\n${errorsOf(stack)}`).toEqual({
        201: USERS,
      });

      const logins = await Promise.all(names.map((name) => postJson(`${stack.front.url}/api/v1/login`, { username: name, password: `${name}-password` })));
      expect(tally(logins.map((answer) => answer.status)), `${JSON.stringify(logins.find((answer) => answer.status !== 200)?.body)}\n${errorsOf(stack)}`).toEqual({ 200: USERS });
      expect(logins.map((answer) => (answer.body as { user: { username: string } }).user.username)).toEqual(names);
    } finally {
      await burners.stop();
    }
    const conn = new Database(db, { readonly: true });
    try {
      expect(conn.prepare("SELECT count(*) AS n FROM users WHERE username LIKE 'loaduser%'").get()).toEqual({ n: USERS });
      expect(conn.prepare('SELECT count(DISTINCT user_id) AS n FROM sessions').get()).toEqual({ n: USERS });
    } finally {
      conn.close();
    }
  });
});

describe.each(FRONT_DOORS)('replies through the %s front door under read load', (kind) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(kind, { FORUM_PBKDF2_ITERATIONS: '1000' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it(`answers ${REPLIES} concurrent replies all with 201 while readers keep reading, and stores every one`, { timeout: LOAD_TEST_TIMEOUT_MS }, async () => {
    const login = await postJson(`${stack.front.url}/api/v1/login`, { username: 'alice', password: 'alice-password' });
    expect(login.status).toBe(200);
    const cookie = cookieOf(login.cookies);
    const conn = new Database(stack.db, { readonly: true });
    const count = (): number => (conn.prepare('SELECT count(*) AS n FROM posts WHERE thread_id = 1').get() as { n: number }).n;
    const before = count();
    const reads = readLoad(stack.front.url, ['/api/v1/threads/1', '/t/1', '/', '/api/v1/boards/general/threads', '/api/v1/boards'], 20);
    let readStatuses: Record<number, number>;
    try {
      const replies = await Promise.all(
        Array.from({ length: REPLIES }, (_, i) => postJson(`${stack.front.url}/api/v1/threads/1/posts`, { body: `load reply ${i} with *markdown*` }, cookie)),
      );
      readStatuses = await reads.stop();
      expect(tally(replies.map((answer) => answer.status)), `${JSON.stringify(replies.find((answer) => answer.status !== 201)?.body)}\n${errorsOf(stack)}`).toEqual({
        201: REPLIES,
      });
      expect(count() - before).toBe(REPLIES);
      const bodies = conn.prepare("SELECT body FROM posts WHERE thread_id = 1 AND body LIKE 'load reply %'").all() as { body: string }[];
      expect(new Set(bodies.map((row) => row.body)).size).toBe(REPLIES);
    } finally {
      await reads.stop();
      conn.close();
    }
    expect(Object.keys(readStatuses).sort(), `${reads.failures.join('\n')}\n${errorsOf(stack)}`).toEqual(['200']);
  });
});
