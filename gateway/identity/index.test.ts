import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createInternalApp, InternalCallError, type InternalCaller } from '../internal/index.ts';
import { cookieValue, createIdentityResolver, createIdentityService, DEFAULT_RESOLVE_PATH, MAX_TOKEN_CHARS, tokenSha256 } from './index.ts';

/** A stand-in for legacy's resolve endpoint: answers from `sessions`, records each call, and can be held. */
function fakeLegacy(sessions: Record<string, object | null> = {}) {
  const calls: { path: string; token: string }[] = [];
  let hold: Promise<void> | null = null;
  let answer: (token: string) => unknown = (token) => ({ session: sessions[token] ?? null });
  const legacy: InternalCaller = {
    async post<T>(path: string, body: unknown): Promise<T> {
      const { token } = body as { token: string };
      calls.push({ path, token });
      // Legacy reads the session when the call arrives; the answer may reach the TS side much later.
      const result = answer(token) as T;
      if (hold) await hold;
      return result;
    },
  };
  return {
    legacy,
    calls,
    holdNext(): () => void {
      let release!: () => void;
      hold = new Promise((r) => (release = r));
      return () => {
        hold = null;
        release();
      };
    },
    answerWith(fn: (token: string) => unknown) {
      answer = fn;
    },
  };
}

describe('cookieValue', () => {
  it('takes the first cookie of the name, trimmed of spaces and quotes', () => {
    expect(cookieValue('a=1;  sid= "abc" ; sid=def', 'sid')).toBe('abc');
  });
  it('ignores cookies whose name only starts with the name', () => {
    expect(cookieValue('sidx=1', 'sid')).toBeUndefined();
    expect(cookieValue(undefined, 'sid')).toBeUndefined();
  });
});

describe('createIdentityResolver', () => {
  it('asks legacy at the configured path and cookie name, once per ttl', async () => {
    const fake = fakeLegacy({ tok: { user_id: 7, name: 'alice' } });
    let clock = 1_000;
    const identity = createIdentityResolver({ legacy: fake.legacy, cookieName: 'sid', resolvePath: '/_internal/app/whoami', ttlMs: 100, now: () => clock });
    expect(await identity.identify('other=1; sid=tok')).toEqual({ user_id: 7, name: 'alice' });
    expect(await identity.identify('sid=tok')).toEqual({ user_id: 7, name: 'alice' });
    expect(fake.calls).toEqual([{ path: '/_internal/app/whoami', token: 'tok' }]);
    clock += 100;
    await identity.identify('sid=tok');
    expect(fake.calls).toHaveLength(2);
  });

  it('uses the contract path by default and asks nothing for no cookie, an empty one or one too long', async () => {
    const fake = fakeLegacy();
    const identity = createIdentityResolver({ legacy: fake.legacy, cookieName: 'session' });
    expect(await identity.identify(undefined)).toBeNull();
    expect(await identity.identify('session=')).toBeNull();
    expect(await identity.identify(`session=${'x'.repeat(MAX_TOKEN_CHARS + 1)}`)).toBeNull();
    expect(await identity.identify('session=abc')).toBeNull();
    expect(fake.calls).toEqual([{ path: DEFAULT_RESOLVE_PATH, token: 'abc' }]);
  });

  it('peeks only at what it keeps: no cookie is null, an unasked or expired or forgotten session is undefined', async () => {
    const fake = fakeLegacy({ tok: { user_id: 1 } });
    let clock = 0;
    const identity = createIdentityResolver({ legacy: fake.legacy, cookieName: 'sid', ttlMs: 100, now: () => clock });
    expect(identity.peek(undefined)).toBeNull();
    expect(identity.peek('other=tok')).toBeNull();
    expect(identity.peek('sid=tok')).toBeUndefined();
    await identity.identify('sid=tok');
    await identity.identify('sid=nobody');
    expect(identity.peek('sid=tok')).toEqual({ user_id: 1 });
    expect(identity.peek('sid=nobody')).toBeNull();
    clock = 100;
    expect(identity.peek('sid=tok')).toBeUndefined();
    await identity.identify('sid=tok');
    identity.forget(tokenSha256('tok'));
    expect(identity.peek('sid=tok')).toBeUndefined();
    expect(fake.calls.length).toBe(3);
  });

  it('forgets a session at once when told its hash', async () => {
    const sessions: Record<string, object | null> = { tok: { user_id: 1 } };
    const fake = fakeLegacy(sessions);
    const identity = createIdentityResolver({ legacy: fake.legacy, cookieName: 'sid' });
    expect(await identity.resolve('tok')).toEqual({ user_id: 1 });
    sessions.tok = null;
    expect(identity.forget(tokenSha256('tok'))).toBe(true);
    expect(await identity.resolve('tok')).toBeNull();
  });

  it('does not let a resolve that was in flight during a logout cache the old answer', async () => {
    const sessions: Record<string, object | null> = { tok: { user_id: 1 } };
    const fake = fakeLegacy(sessions);
    let clock = 0;
    const identity = createIdentityResolver({ legacy: fake.legacy, cookieName: 'sid', now: () => clock });
    const release = fake.holdNext();
    const slow = identity.resolve('tok');
    clock += 1;
    sessions.tok = null;
    identity.forget(tokenSha256('tok'));
    release();
    expect(await slow).toEqual({ user_id: 1 });
    expect(await identity.resolve('tok')).toBeNull();
  });

  it('refuses an answer outside the contract with bad_answer naming the contract', async () => {
    const fake = fakeLegacy();
    fake.answerWith(() => ({ user: 1 }));
    const identity = createIdentityResolver({ legacy: fake.legacy, cookieName: 'sid' });
    const err = await identity.resolve('tok').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalCallError);
    expect(err).toMatchObject({ kind: 'bad_answer', message: expect.stringContaining('docs/identity.md') });
  });

  it('refuses a cookie name that is not a token and a resolve path outside /_internal/, saying what to give', () => {
    const { legacy } = fakeLegacy();
    expect(() => createIdentityResolver({ legacy, cookieName: 'my session' })).toThrow(/is not a cookie name; give the name of the app's session cookie/);
    expect(() => createIdentityResolver({ legacy, cookieName: 'sid', resolvePath: '/api/whoami' })).toThrow(/must be a path under \/_internal\//);
  });
});

describe('createIdentityService', () => {
  const token = 'k'.repeat(40);
  const forgotten: string[] = [];
  const relayed: string[] = [];
  const service = createIdentityService({ forget: (hash) => (forgotten.push(hash), true) }, { onForget: (hash) => relayed.push(hash) });
  const internal = createInternalApp({ services: [service], token, logger: pino({ level: 'silent' }) });

  it('forgets and relays a logout named by its sha256, answering 204', async () => {
    const hash = tokenSha256('cookie');
    const res = await internal.request(`/_internal/v1/sessions/${hash}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(204);
    expect(forgotten).toEqual([hash]);
    expect(relayed).toEqual([hash]);
  });

  it('answers 400 naming the expected form for a hash that is not 64 hex digits', async () => {
    const res = await internal.request('/_internal/v1/sessions/ABC', { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('64 lowercase hex digits');
  });
});
