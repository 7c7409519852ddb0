import { execFileSync } from 'node:child_process';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createInternalApp, InternalCallError } from '../../gateway/internal/index.ts';
import { openForumDbForWriting } from '../forum-common/index.ts';
import { createFixtureDb } from '../forum-common/testing.ts';
import { createSessionResolver, type Session, type SessionResolver } from '../sessions/index.ts';
import { createUsersService, hashPassword, prepareUserQueries, verifyPassword } from './index.ts';

const TOKEN = 't'.repeat(40);
const ITERATIONS = 1_000;
const fixture = createFixtureDb();
const db = openForumDbForWriting(fixture.file);
const sessionsByToken = new Map<string, Session>([
  ['alice-cookie', { user_id: 1, expires_at: '2099-01-01T00:00:00Z' }],
  ['ghost-cookie', { user_id: 999, expires_at: '2099-01-01T00:00:00Z' }],
]);
const sessions: SessionResolver = createSessionResolver({
  ttlMs: 0,
  legacy: {
    async post<T>(_path: string, body: unknown): Promise<T> {
      const { token } = body as { token: string };
      if (token === 'legacy-down') throw new InternalCallError('unavailable', 'POST http://legacy/_internal/legacy/sessions/resolve failed: ECONNREFUSED');
      return { session: sessionsByToken.get(token) ?? null } as T;
    },
  },
});
// What the users service publishes after its writes (the change bus, in the composition root).
const published: unknown[] = [];
const users = createUsersService({
  queries: prepareUserQueries(db),
  sessions,
  iterations: ITERATIONS,
  logger: pino({ level: 'silent' }),
  onChange: (changes) => published.push(...changes),
});
const internal = createInternalApp({ services: [users], token: TOKEN, logger: pino({ level: 'silent' }) });
afterAll(() => {
  db.close();
  fixture.cleanup();
});

const call = async (path: string, body?: unknown) => {
  const init: RequestInit = body === undefined ? {} : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
  const res = await internal.request(path, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...(init.headers as Record<string, string>) } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('users internal endpoints', () => {
  it('looks a user up by id', async () => {
    expect(await call('/_internal/v1/users/1')).toEqual({ status: 200, body: { user: { id: 1, username: 'alice', created_at: '2026-01-02T03:00:05Z' } } });
  });

  it('answers 404 naming the id for a user that does not exist', async () => {
    expect(await call('/_internal/v1/users/424242')).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'user 424242 does not exist' } } });
  });

  it('answers 400 for an id that is not a positive integer', async () => {
    expect((await call('/_internal/v1/users/0')).status).toBe(400);
    expect((await call('/_internal/v1/users/01')).status).toBe(400);
    expect(await call('/_internal/v1/users/9999999999999999')).toEqual({ status: 400, body: { error: { code: 'bad_request', message: 'id: must be at most 9007199254740991' } } });
  });

  it('looks a user up by username in any letter case', async () => {
    expect(await call('/_internal/v1/users/by-username/ALICE')).toMatchObject({ status: 200, body: { user: { id: 1, username: 'alice' } } });
  });

  it('returns users for a list of ids in the order asked, leaving unknown ones out', async () => {
    const res = await call('/_internal/v1/users?ids=2,999,1,2');
    expect(res.status).toBe(200);
    expect((res.body.users as { id: number }[]).map((u) => u.id)).toEqual([2, 1, 2]);
  });

  it('refuses more than 500 ids, and a malformed list, with a 400 that says why', async () => {
    const many = Array.from({ length: 501 }, (_, i) => i + 1).join(',');
    expect(await call(`/_internal/v1/users?ids=${many}`)).toEqual({ status: 400, body: { error: { code: 'bad_request', message: 'ids: at most 500 ids per call' } } });
    expect((await call('/_internal/v1/users?ids=1,,2')).status).toBe(400);
    expect(await call('/_internal/v1/users')).toMatchObject({ status: 400, body: { error: { message: 'ids: required' } } });
  });

  it('registers a user, then verifies the password and refuses a wrong one', async () => {
    const made = await call('/_internal/v1/users', { username: 'dora', password: 'dora-password' });
    expect(made).toMatchObject({ status: 201, body: { user: { username: 'dora', created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) } } });
    expect(await call('/_internal/v1/users/verify', { username: 'DORA', password: 'dora-password' })).toMatchObject({ status: 200, body: { user: { username: 'dora' } } });
    expect(await call('/_internal/v1/users/verify', { username: 'dora', password: 'wrong-password' })).toEqual({ status: 200, body: { user: null } });
    expect(await call('/_internal/v1/users/verify', { username: 'nobody', password: 'whatever-password' })).toEqual({ status: 200, body: { user: null } });
  });

  it('publishes a user change after a registration commits, and none for a refused one', async () => {
    published.length = 0;
    const made = await call('/_internal/v1/users', { username: 'publisher', password: 'publisher-password' });
    expect((await call('/_internal/v1/users', { username: 'Publisher', password: 'publisher-password' })).status).toBe(409);
    expect(published).toEqual([{ kind: 'user', user: (made.body.user as { id: number }).id }]);
  });

  it('answers 409 for a username taken in another letter case', async () => {
    expect(await call('/_internal/v1/users', { username: 'Alice', password: 'another-password' })).toEqual({
      status: 409,
      body: { error: { code: 'conflict', message: "username 'Alice' is taken; choose another" } },
    });
  });

  it('answers 409 to all but one of many simultaneous registrations of the same name', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => call('/_internal/v1/users', { username: 'racer', password: 'racer-password' })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
  });

  it('answers 503 with Retry-After, having done nothing, to password checks past its hash slots and waiting places', async () => {
    // One slot and eight waiting places: of twelve checks at once nine are served, three are told to come back.
    const narrow = createInternalApp({
      services: [createUsersService({ queries: prepareUserQueries(db), sessions, iterations: ITERATIONS, hashSlots: 1, logger: pino({ level: 'silent' }) })],
      token: TOKEN,
      logger: pino({ level: 'silent' }),
    });
    const verify = async () => {
      const res = await narrow.request('/_internal/v1/users/verify', {
        method: 'POST',
        body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { error?: { code: string; message: string } } };
    };
    const answers = await Promise.all(Array.from({ length: 12 }, verify));
    expect(answers.filter((a) => a.status === 200).length).toBe(9);
    expect(answers.filter((a) => a.status === 503).length).toBe(3);
    const busy = answers.find((a) => a.status === 503)!;
    expect(busy.retryAfter).toBe('1');
    expect(busy.body.error).toEqual({ code: 'unavailable', message: 'all 1 password hashing slots and 8 waiting places are taken; nothing was done: retry after 1 s' });
    expect((await verify()).status).toBe(200);
  });

  it('refuses a NUL in a username or password with a 400 naming the field', async () => {
    expect(await call('/_internal/v1/users', { username: 'nul-user', password: 'pass\u0000word' })).toEqual({
      status: 400,
      body: { error: { code: 'bad_request', message: 'password: must not contain NUL characters (\\u0000); remove them' } },
    });
    expect(await call('/_internal/v1/users/verify', { username: 'alice\u0000', password: 'alice-password' })).toMatchObject({
      status: 400,
      body: { error: { message: 'username: must not contain NUL characters (\\u0000); remove them' } },
    });
  });

  it('refuses a JSON body that is not UTF-8 instead of reading U+FFFD into it', async () => {
    const res = await internal.request('/_internal/v1/users/verify', {
      method: 'POST',
      body: Buffer.from('{"username":"caf\xe9","password":"alice-password"}', 'latin1'),
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    });
    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 400,
      body: { error: { code: 'bad_request', message: 'the request body is not valid UTF-8; send JSON encoded as UTF-8' } },
    });
  });

  it('names each invalid registration field', async () => {
    expect(await call('/_internal/v1/users', { username: 'a b', password: 'short' })).toEqual({
      status: 400,
      body: { error: { code: 'bad_request', message: 'username: must be 3 to 32 characters of A-Z a-z 0-9 _ -; password: must be at least 8 characters' } },
    });
  });
});

describe('password hashes', () => {
  const python = (script: string, ...args: string[]) => execFileSync('python3', ['-c', script, ...args], { cwd: 'legacy-python', encoding: 'utf8' }).trim();

  it('verifies a hash legacy made', async () => {
    const stored = python('import sys; from forum.passwords import hash_password; print(hash_password(sys.argv[1], iterations=1000))', 'pässwörd ✓');
    expect(await verifyPassword('pässwörd ✓', stored)).toBe(true);
    expect(await verifyPassword('passwörd ✓', stored)).toBe(false);
  });

  it('makes hashes legacy verifies', async () => {
    const stored = await hashPassword('pässwörd ✓', 1000);
    expect(python('import sys; from forum.passwords import verify_password; print(verify_password(sys.argv[1], sys.argv[2]))', 'pässwörd ✓', stored)).toBe('True');
  });

  it.each(['', 'plain', 'md5$1$a$b', 'pbkdf2_sha256$x$a$b', 'pbkdf2_sha256$0$a$b', 'pbkdf2_sha256$1$a$'])('never matches a malformed stored value %j', async (stored) => {
    expect(await verifyPassword('anything', stored)).toBe(false);
  });
});

describe('GET /api/v1/me', () => {
  const me = async (cookie?: string) => {
    const res = await users.app.request('/api/v1/me', cookie ? { headers: { cookie } } : {}, { requestId: 'test' });
    return { status: res.status, text: await res.text() };
  };

  it('answers the user of a live legacy session', async () => {
    expect(await me('x=1; forum_session=alice-cookie')).toEqual({ status: 200, text: '{"user":{"id":1,"username":"alice"}}' });
  });

  it('answers 401 "log in first" without a cookie, for an unknown session, and for a session of a deleted user', async () => {
    const loginFirst = { status: 401, text: '{"error":{"code":"unauthorized","message":"log in first"}}' };
    expect(await me()).toEqual(loginFirst);
    expect(await me('forum_session=nope')).toEqual(loginFirst);
    expect(await me('forum_session=ghost-cookie')).toEqual(loginFirst);
  });

  it('answers 503 with a clear message when legacy cannot say whose session it is', async () => {
    expect(await me('forum_session=legacy-down')).toEqual({
      status: 503,
      text: '{"error":{"code":"unavailable","message":"cannot check your session right now; try again in a moment"}}',
    });
  });

  it("answers 405 with legacy's Allow for other methods", async () => {
    const res = await users.app.request('/api/v1/me', { method: 'DELETE' }, { requestId: 'test' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });
});
