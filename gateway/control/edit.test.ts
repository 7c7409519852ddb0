import { describe, expect, it } from 'vitest';
import { lineDiff } from './diff.ts';
import { editRoute, RouteEditError } from './edit.ts';

const TABLE = `# The table.
version: 1
backends:
  legacy: { url: "http://127.0.0.1:8090" }   # aligned comment
  ts:     { url: "http://127.0.0.1:8081" }
routes:
  # The default.
  - path: /
    mode: legacy

  # Threads: moved.
  - path: /api/v1/threads
    mode: next          # the TS handler answers
    handler: threads
    methods: [GET]

  - { path: /b, mode: legacy }
  - { path: /x, exact: true, mode: legacy }
  - { path: /x, mode: next, handler: x }
`;

describe('editRoute', () => {
  it('rolls a block route back to legacy, dropping handler and methods, and keeps every other byte', () => {
    const edit = editRoute(TABLE, { route: '/api/v1/threads', mode: 'legacy' });
    expect(edit.text).toBe(
      TABLE.replace('version: 1\n', 'version: 1\nrevision: 1\n').replace(
        '    mode: next          # the TS handler answers\n    handler: threads\n    methods: [GET]\n',
        '    mode: legacy          # the TS handler answers\n',
      ),
    );
    expect(edit.before).toMatchObject({ mode: 'next', handler: 'threads', methods: ['GET'] });
    expect(edit.after).toMatchObject({ mode: 'legacy', handler: null, methods: null });
    expect(edit.toward).toBe('legacy');
  });

  it('moves a flow route to next with its handler and methods, and raises an existing revision by one', () => {
    const first = editRoute(TABLE, { route: '/b', mode: 'next', handler: 'boards', methods: ['GET', 'HEAD'] });
    expect(first.text).toContain('  - { path: /b, mode: next, handler: boards, methods: [GET, HEAD] }\n');
    const second = editRoute(first.text, { route: '/b', mode: 'legacy' });
    expect(second.text).toContain('  - { path: /b, mode: legacy }\n');
    expect(second.text).toMatch(/^revision: 2$/m);
  });

  it('adds a route that is not in the table yet, in the layout of the list', () => {
    const edit = editRoute(TABLE, { route: '/api/v1/me', mode: 'next', handler: 'users', methods: ['GET'] });
    expect(edit.before).toBeNull();
    expect(edit.text.endsWith('\n  - path: /api/v1/me\n    mode: next\n    handler: users\n    methods: [GET]\n')).toBe(true);
  });

  it('keeps the handler a route has when it moves back to next without one', () => {
    const text = editRoute(TABLE, { route: '/api/v1/threads', mode: 'next', methods: ['GET', 'POST'] }).text;
    expect(text).toContain('    handler: threads\n    methods: [GET, POST]\n');
  });

  it.each([
    [{ route: '/x', mode: 'legacy' } as const, /two routes have the path \/x.*write =\/x/],
    [{ route: '/b', mode: 'next' } as const, /names no handler; give .*--handler <name>/],
    [{ route: '/b', mode: 'legacy', handler: 'b' } as const, /leave out --handler and --methods/],
    [{ route: 'api', mode: 'legacy' } as const, /not a route path/],
  ])('refuses %o with a message that says what to write', (edit, message) => {
    expect(() => editRoute(TABLE, edit)).toThrow(RouteEditError);
    expect(() => editRoute(TABLE, edit)).toThrow(message);
  });

  it('names the exact route of a shared path with =', () => {
    expect(editRoute(TABLE, { route: '=/x', mode: 'next', handler: 'x' }).text).toContain('  - { path: /x, exact: true, mode: next, handler: x }\n');
  });
});

describe('lineDiff', () => {
  it('shows removed and added lines with one line of context and where they are', () => {
    expect(lineDiff('a\nb\nc\nd\ne\n', 'a\nb\nC\nd\ne\n')).toBe('@@ line 2 @@\n b\n-c\n+C\n d');
  });

  it('takes a route through shadow and canary with its percent, drops the percent past canary, and says which side switches first', () => {
    const shadow = editRoute(TABLE, { route: '/b', mode: 'shadow', handler: 'boards' });
    expect(shadow.text).toContain('  - { path: /b, mode: shadow, handler: boards }\n');
    expect(shadow.toward).toBe('ts');
    const canary = editRoute(shadow.text, { route: '/b', mode: 'canary', percent: 10 });
    expect(canary.text).toContain('  - { path: /b, mode: canary, handler: boards, percent: 10 }\n');
    expect(canary.after).toMatchObject({ mode: 'canary', percent: 10 });
    const raised = editRoute(canary.text, { route: '/b', mode: 'canary', percent: 50 });
    expect(raised.text).toContain('  - { path: /b, mode: canary, handler: boards, percent: 50 }\n');
    expect(raised.toward).toBe('ts');
    const kept = editRoute(raised.text, { route: '/b', mode: 'canary' });
    expect(kept.after.percent).toBe(50);
    const next = editRoute(raised.text, { route: '/b', mode: 'next' });
    expect(next.text).toContain('  - { path: /b, mode: next, handler: boards }\n');
    const demoted = editRoute(raised.text, { route: '/b', mode: 'shadow' });
    expect(demoted.text).toContain('  - { path: /b, mode: shadow, handler: boards }\n');
    expect(demoted.toward).toBe('legacy');
    const blockCanary = editRoute(TABLE, { route: '/api/v1/threads', mode: 'canary', percent: 25 });
    expect(blockCanary.text).toContain('    mode: canary          # the TS handler answers\n    handler: threads\n    methods: [GET]\n    percent: 25\n');
    expect(editRoute(blockCanary.text, { route: '/api/v1/threads', mode: 'legacy' }).text).not.toContain('percent');
  });

  it.each([
    [{ route: '/b', mode: 'canary', handler: 'boards' }, 'needs the share of users TS answers: --percent 10'],
    [{ route: '/b', mode: 'canary', handler: 'boards', percent: 0 }, '--percent 0 is not a share of users'],
    [{ route: '/b', mode: 'next', handler: 'boards', percent: 10 }, 'a percent applies to mode canary only, not next'],
  ] as const)('refuses %j: %s', (edit, message) => {
    expect(() => editRoute(TABLE, edit)).toThrow(message);
  });
});
