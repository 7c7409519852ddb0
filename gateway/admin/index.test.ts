import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_STATUS_PATH, startAdminListener, type AdminListener } from './index.ts';

const TOKEN = 'a'.repeat(64);
let admin: AdminListener | undefined;
afterEach(async () => {
  await admin?.close();
  admin = undefined;
});

describe('the admin listener', () => {
  it('answers the status to the bearer token only, on loopback, and 404 elsewhere', async () => {
    admin = await startAdminListener({ host: '127.0.0.1', port: 0, token: TOKEN, status: () => ({ revision: '3-0a1b2c3d', routing: 'ffffffff' }) });
    expect(admin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ok = await fetch(`${admin.url}${ADMIN_STATUS_PATH}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ revision: '3-0a1b2c3d', routing: 'ffffffff' });
    expect((await fetch(`${admin.url}${ADMIN_STATUS_PATH}`)).status).toBe(401);
    expect((await fetch(`${admin.url}${ADMIN_STATUS_PATH}`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${admin.url}/other`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });
});
