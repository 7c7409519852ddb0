/**
 * Text the forum cannot store faithfully (a NUL, bytes that are not UTF-8) in a query parameter is
 * refused the same way by legacy and by the TS service that moved: same status, same content type, same
 * bytes. Sent to each side directly, so neither answer passes through the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.ts';

const CASES = ['/api/v1/threads/1?q=%FF', '/api/v1/threads/1?page=1%00', '/api/v1/threads/1?page=2&x%C3%28=1', '/api/v1/threads/1?page=%zz', '/t/1?page=%00', '/t/1?q=caf%E9'];

describe('refusing text that cannot be stored, legacy and TS alike', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('edge', { FORUM_PBKDF2_ITERATIONS: '1000' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const answer = async (base: string, path: string): Promise<{ status: number; type: string | null; body: string }> => {
    const res = await fetch(base + path);
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  };

  it.each(CASES)('answers %s with the same 400 on both sides', async (path) => {
    const [legacy, ts] = await Promise.all([answer(stack.legacy.url, path), answer(stack.ts.url, path)]);
    expect(legacy.status).toBe(400);
    expect(ts).toEqual(legacy);
  });

  it('names the parameter and the fix', async () => {
    expect(JSON.parse((await answer(stack.ts.url, '/api/v1/threads/1?q=%00')).body)).toEqual({
      error: { code: 'bad_request', message: "query parameter 'q' contains a NUL character (%00); remove it" },
    });
  });
});
