import { describe, expect, it } from 'vitest';
import { formatPointer, parsePointer, pointerProblem } from './index.ts';

describe('JSON pointers', () => {
  it('round-trip through RFC 6901 escaping, decoding ~1 before ~0', () => {
    expect(parsePointer('/a~1b/c~0d/~01')).toEqual(['a/b', 'c~d', '~1']);
    expect(formatPointer(['a/b', 'c~d', '~1'])).toBe('/a~1b/c~0d/~01');
    expect(parsePointer('')).toEqual([]);
  });

  it('are refused with the fix when they do not start with / or carry a bad ~ escape', () => {
    expect(pointerProblem('posts/*/views')).toBe('a JSON pointer starts with "/" (or is "" for the whole body): write "/posts/*/views"');
    expect(pointerProblem('/a~2b')).toContain('"~" must be followed by 0');
    expect(pointerProblem('/posts/*/views')).toBeNull();
  });
});
