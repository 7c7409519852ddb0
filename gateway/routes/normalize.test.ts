import { describe, expect, it } from 'vitest';
import { escapeUri, isForwardedRaw, isInternalPath, normalizeTarget } from './normalize.ts';

// Each expectation was checked against what nginx 1.22.1 forwarded to an echo upstream (proxy_pass with a URI).
const forwarded = (target: string): string => {
  const result = normalizeTarget(target);
  return result.ok ? result.forwardPath + result.search : `400`;
};

describe('normalizeTarget', () => {
  it.each([
    ['/', '/'],
    ['/a//b', '/a/b'],
    ['///a', '/a'],
    ['/a/./b', '/a/b'],
    ['/a/../b', '/b'],
    ['/a/b/c/../../..', '/'],
    ['/a/..', '/'],
    ['/a/.', '/a/'],
    ['/.', '/'],
    ['/..a', '/..a'],
    ['/a/.../b', '/a/.../b'],
    ['/A/B', '/A/B'],
    ['/a;b=c/d', '/a;b=c/d'],
    ['/a+b', '/a+b'],
  ])('resolves %s to %s', (target, expected) => {
    expect(forwarded(target)).toBe(expected);
  });

  it('decodes %2F and %2E so they act as separators and dot segments', () => {
    expect(normalizeTarget('/repo/a%2Fb/files?x=%2F')).toMatchObject({ ok: true, path: '/repo/a/b/files', forwardPath: '/repo/a%2Fb/files', search: '?x=%2F' });
    expect(normalizeTarget('/a%5Cb%3B')).toMatchObject({ ok: true, path: '/a\\b;', forwardPath: '/a%5Cb%3B' });
    expect(normalizeTarget('/a%2F..%2Fb')).toMatchObject({ ok: true, path: '/b', forwardPath: '/b' });
    expect(normalizeTarget('/a/%2e%2E/b')).toMatchObject({ ok: true, path: '/b' });
    expect(normalizeTarget('/a%2e%2E/b')).toMatchObject({ ok: true, path: '/a../b', forwardPath: '/a../b' });
    expect(normalizeTarget('/%2F%2F')).toMatchObject({ ok: true, path: '/' });
  });

  it('re-escapes a path that used %-escapes the way nginx forwards it', () => {
    expect(normalizeTarget('/a%25')).toMatchObject({ path: '/a%', forwardPath: '/a%25' });
    expect(normalizeTarget('/a%3Fb?c=1')).toMatchObject({ path: '/a?b', forwardPath: '/a%3Fb', search: '?c=1' });
    expect(normalizeTarget('/a%23b')).toMatchObject({ path: '/a#b', forwardPath: '/a%23b' });
    expect(normalizeTarget('/%41%7e%22%3c')).toMatchObject({ path: '/A~"<', forwardPath: '/A~%22%3C' });
    expect(forwarded('/a%20b')).toBe('/a%20b');
    expect(forwarded('/%C3%A9')).toBe('/%C3%A9');
  });

  it('forwards the path as normalized, not re-escaped, when the client used no %-escape, as nginx does', () => {
    expect(forwarded('/a"<>^`{|}')).toBe('/a"<>^`{|}');
    expect(forwarded('//a"b/./c')).toBe('/a"b/c');
    expect(forwarded('/a"b%41')).toBe('/a%22bA');
  });

  it.each([
    ['/..', 'climbs above the root'],
    ['/%2e%2e/x', 'climbs above the root'],
    ['/a/b/c/../../../..', 'climbs above the root'],
    ['/a%00', '%00'],
    ['/a%zz', 'two hex digits'],
    ['/a%4', "incomplete '%'"],
    ['/a%', "incomplete '%'"],
    ['/a b', 'space or a control character'],
    ['/a\u0001', 'space or a control character'],
    ['/a?\u007f', 'space or a control character'],
    ['/caf\u00c3\u00a9', 'outside ASCII'],
    ['/a?q=\u00e9', 'outside ASCII'],
    ['/€', 'outside ASCII'],
    ['h/a', "must start with '/'"],
    ['*', "must start with '/'"],
    ['http://../a', 'not valid'],
  ])('refuses %j with 400 (%s)', (target, reason) => {
    const result = normalizeTarget(target);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.status).toBe(400);
      expect(result.reason).toContain(reason);
    }
  });

  it('keeps the raw query, cuts it at #, and drops an empty one', () => {
    expect(normalizeTarget('/a?x=%zz&y=/../')).toMatchObject({ ok: true, path: '/a', search: '?x=%zz&y=/../' });
    expect(forwarded('/a?b#c')).toBe('/a?b');
    expect(forwarded('/a#frag?x')).toBe('/a');
    expect(forwarded('/a?')).toBe('/a');
    expect(forwarded('/a/..?x')).toBe('/?x');
  });

  it('takes the path of an absolute-form target', () => {
    expect(forwarded('http://h/a/../b?x')).toBe('/b?x');
    expect(forwarded('http://h')).toBe('/');
    expect(forwarded('http://h?x=1')).toBe('/?x=1');
    expect(forwarded('HTTP://h:80/a')).toBe('/a');
    expect(forwarded('http://[::1]:8080/a')).toBe('/a');
  });
});

describe('escapeUri', () => {
  it('leaves a path of safe characters as the same string', () => {
    const path = "/api/v1/threads/7;x=1,2@a:b!$&'()*+=~";
    expect(escapeUri(path)).toBe(path);
  });
});

describe('isInternalPath', () => {
  it.each(['/_internal', '/_INTERNAL/x', '/_Internal/v1', '/_internalfoo'])('treats %s as internal', (path) => {
    expect(isInternalPath(path)).toBe(true);
  });

  it.each(['/', '/api/_internal', '/_interna', '/x/_internal', '//_internal'])('treats %s as public', (path) => {
    expect(isInternalPath(path)).toBe(false);
  });

  it('sees /_internal behind encodings and dot segments once normalized', () => {
    for (const target of ['/%5Finternal', '/x/../_internal', '/%2F_internal', '/._internal/../_INTERNAL/a']) {
      const result = normalizeTarget(target);
      expect(result.ok && isInternalPath(result.path)).toBe(true);
    }
  });
});

describe('isForwardedRaw', () => {
  it.each(['/repo/a%2Fb/files', '/a%2fb', '/a%5Cb', '/a%3Bb', '/u/a%40b.org?q=1', '/a%2Fb/', '/a%2F'])('sends %s upstream as written', (target) => {
    expect(isForwardedRaw(target)).toBe(true);
  });

  it.each([
    ['no escaped reserved character', '/a/b%20c'],
    ['an escaped dot-dot segment', '/a%2F..%2Fb'],
    ['a dot segment', '/a%2Fb/./c'],
    ['an empty segment', '/a%2F%2Fb'],
    ['an empty segment across kinds of separator', '/a%2F/b'],
    ['a backslash dot-dot segment', '/a%2F..\\b'],
    ['a fragment', '/a%2Fb#x'],
    ['an empty query', '/a%2Fb?'],
    ['the absolute form (its path is what counts)', 'http://h/a%2Fb'],
  ])('normalizes a target with %s', (_, target) => {
    expect(isForwardedRaw(target)).toBe(false);
  });
});
