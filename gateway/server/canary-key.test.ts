import { describe, expect, it } from 'vitest';
import { canaryKey } from './canary-key.ts';

describe('canaryKey', () => {
  it('is the session cookie when the request carries one', () =>
    expect(canaryKey({ cookie: 'a=1; sid="4f2a"', 'x-real-ip': '203.0.113.9' }, '127.0.0.1', 'sid')).toBe('session:4f2a'));
  it("is the front door's client address without a session", () =>
    expect(canaryKey({ cookie: 'a=1', 'x-real-ip': ' 203.0.113.9 ' }, '127.0.0.1', 'sid')).toBe('client:203.0.113.9'));
  it('is the peer address when no front door said who the client is', () => expect(canaryKey({}, '10.0.0.7', 'sid')).toBe('client:10.0.0.7'));
  it('ignores cookies when the app names no session cookie', () => expect(canaryKey({ cookie: 'sid=1' }, '10.0.0.7', null)).toBe('client:10.0.0.7'));
  it('is null when nothing tells who the user is', () => expect(canaryKey({}, undefined, 'sid')).toBeNull());
});
