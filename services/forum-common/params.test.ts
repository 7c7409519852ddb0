import { describe, expect, it } from 'vitest';
import { firstQueryValue, parsePerPage, positiveInteger } from './params.ts';

describe('positiveInteger', () => {
  it.each([
    ['1', 1],
    ['42', 42],
    ['9007199254740991', 9007199254740991],
  ])('accepts %j as %d', (text, value) => expect(positiveInteger(text)).toBe(value));

  it.each(['', '0', '00', '01', '-1', '+1', '1.0', '1e3', ' 1', '1 ', '١', '9007199254740992', '12345678901234567'])('rejects %j', (text) =>
    expect(positiveInteger(text)).toBeNull(),
  );
});

describe('parsePerPage', () => {
  it('names the range in its error', () => {
    expect(() => parsePerPage('101', 20, 100)).toThrow('per_page must be an integer from 1 to 100');
  });
  it('uses the default when absent', () => expect(parsePerPage(null, 20, 100)).toBe(20));
});

describe('firstQueryValue', () => {
  it('takes the first of repeated parameters', () => expect(firstQueryValue('?page=2&page=3', 'page')).toBe('2'));
  it('decodes percent-escapes and plus signs like a form', () => expect(firstQueryValue('?a=1&page=%32+', 'page')).toBe('2 '));
  it('gives an empty string for a parameter without a value', () => expect(firstQueryValue('?page', 'page')).toBe(''));
  it('gives null for an absent parameter', () => expect(firstQueryValue('?pages=1', 'page')).toBeNull());
  it('keeps a malformed escape as sent', () => expect(firstQueryValue('?page=%zz', 'page')).toBe('%zz'));
});
