/**
 * One login across both sides for an app nobody here wrote: a real Flask process (test/identity/flask_app.py)
 * mounts legacy-python/strangler_identity.py; a TS server process (test/identity/whoami-server.ts), with one
 * route moved (`GET /whoami`) and the gateway's identity resolver configured with Flask's cookie name,
 * answers for a session started on Flask, and stops at once when Flask logs the session out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalEnv, spawnServer, type RunningProcess } from '../helpers/processes.ts';

const SYSTEM_PYTHON = '/usr/bin/python3';

let flask: RunningProcess | undefined;
let tsServer: RunningProcess | undefined;
let ts: string;

beforeAll(async () => {
  // The TS server's internal port is chosen first: Flask is told where to relay logouts before the TS server exists.
  const env = await internalEnv();
  flask = await spawnServer({ name: 'flask', command: SYSTEM_PYTHON, args: ['test/identity/flask_app.py'], env });
  tsServer = await spawnServer({
    name: 'ts',
    command: process.execPath,
    args: ['--import', 'tsx', 'test/identity/whoami-server.ts'],
    env: { ...env, LEGACY_URL: flask.url, SESSION_COOKIE: 'sid' },
  });
  ts = tsServer.url;
});

afterAll(async () => {
  await Promise.all([tsServer?.stop(), flask?.stop()]);
});

const login = async (username: string): Promise<string> => {
  const res = await fetch(`${ts}/login`, { method: 'POST', body: new URLSearchParams({ username }) });
  expect(res.status).toBe(200);
  const cookie = /^sid=([^;]+)/.exec(res.headers.get('set-cookie') ?? '');
  if (!cookie) throw new Error(`Flask set no sid cookie: ${res.headers.get('set-cookie')}`);
  return `sid=${cookie[1]}`;
};

describe('one login across a Flask app and the TS server', () => {
  it('answers on the TS side for a session started on Flask through the gateway', async () => {
    const cookie = await login('alice');
    const res = await fetch(`${ts}/whoami`, { headers: { cookie } });
    expect(res.headers.get('x-strangler-answered-by')).toMatch(/^ts; route="\/whoami"; revision=/);
    expect(await res.json()).toEqual({ user: { user_id: expect.any(Number), username: 'alice' } });
  });

  it('answers 401 on the TS side for no cookie and an unknown one', async () => {
    expect((await fetch(`${ts}/whoami`)).status).toBe(401);
    expect((await fetch(`${ts}/whoami`, { headers: { cookie: 'sid=forged' } })).status).toBe(401);
  });

  it('sees a logout on the Flask side at once, although it had cached the session', async () => {
    const cookie = await login('bob');
    expect((await fetch(`${ts}/whoami`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${ts}/whoami`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${ts}/logout`, { method: 'POST', headers: { cookie } })).status).toBe(200);
    // No waiting: the resolver caches for 5 s, so only the relayed logout can make this 401.
    const after = await fetch(`${ts}/whoami`, { headers: { cookie } });
    expect(after.status).toBe(401);
    expect((await fetch(`${flask!.url}/whoami`, { headers: { cookie } })).status).toBe(401);
  });

  it("is refused by Flask's resolve endpoint without the token", async () => {
    const res = await fetch(`${flask!.url}/_internal/legacy/sessions/resolve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' },
      body: '{"token":"x"}',
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: 'missing or wrong bearer token' } });
  });
});
