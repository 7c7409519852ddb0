import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkQueryText, firstQueryValue, parsePerPage, positiveInteger } from './params.ts';
import { ApiError } from './responses.ts';

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

/** The status and message checkQueryText refuses a query with, or 'ok'. */
function refusal(search: string): string {
  try {
    checkQueryText(search);
    return 'ok';
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return `${err.status} ${err.message}`;
  }
}

const CORPUS = [
  'page=2',
  'q=caf%C3%A9+au+lait',
  'page=%zz',
  'flag',
  '&&page=1&',
  'q=%FF',
  'page=1&q=%C3%28',
  '%C3%28=1',
  'q=%ED%A0%80',
  'q=%F4%90%80%80',
  'page=1%002',
  'a%00b',
  'q=%E2%82',
  'q=caf\u00e9',
  'x=%',
  'x=%2',
];

describe('checkQueryText', () => {
  it('passes text that decodes to UTF-8 without a NUL, a malformed escape left as sent', () => {
    for (const search of ['?page=2', '?q=caf%C3%A9+au+lait', '?page=%zz', '?flag', '']) expect(refusal(search)).toBe('ok');
  });

  it('refuses a name or value that is not UTF-8, naming the parameter as sent', () => {
    expect(refusal('?page=1&q=%FF')).toBe("400 query parameter 'q' is not valid UTF-8 text; encode it as UTF-8");
    expect(refusal('?%C3%28=1')).toBe("400 query parameter '%C3%28' is not valid UTF-8 text; encode it as UTF-8");
  });

  it('refuses a NUL in a name or a value', () => {
    expect(refusal('?page=1%002')).toBe("400 query parameter 'page' contains a NUL character (%00); remove it");
  });

  it('is checked whenever a parameter is read, whichever one it is', () => {
    expect(() => firstQueryValue('?page=2&q=%00', 'page')).toThrow("query parameter 'q' contains a NUL character (%00); remove it");
  });

  it('refuses exactly what legacy refuses, with the same status and message', () => {
    const script = `
import json, sys
from forum.web import HTTPError, text_pairs
out = []
for search in json.loads(sys.argv[1]):
    try:
        text_pairs(search, "query parameter")
        out.append("ok")
    except HTTPError as error:
        out.append(f"{error.status} {error.message}")
print(json.dumps(out))`;
    const legacy = JSON.parse(execFileSync('python3', ['-c', script, JSON.stringify(CORPUS)], { cwd: 'legacy-python', encoding: 'utf8' })) as string[];
    expect(CORPUS.map((search) => refusal(`?${search}`))).toEqual(legacy);
    expect(legacy.filter((answer) => answer !== 'ok').length).toBeGreaterThan(5);
  });
});
