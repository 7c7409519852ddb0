import { describe, expect, it } from 'vitest';
import { requestIdFrom } from './index.ts';

describe('requestIdFrom', () => {
  it('keeps the front door id', () => expect(requestIdFrom('0123456789abcdef0123456789abcdef')).toBe('0123456789abcdef0123456789abcdef'));
  it.each([undefined, '', 'has space', 'x'.repeat(129), 'quote"d', 'line\nbreak'])('mints a fresh id instead of %j', (header) => {
    const id = requestIdFrom(header);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(id).not.toBe(header);
  });
  it('mints a different id each time', () => expect(requestIdFrom(undefined)).not.toBe(requestIdFrom(undefined)));
});
