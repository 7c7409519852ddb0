import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRouteTable, parseRouteTable, RouteTableError } from './index.ts';

const REPO_TABLE = fileURLToPath(new URL('../../routes.yaml', import.meta.url));

const BACKENDS = `backends:
  legacy: { url: "http://127.0.0.1:8090" }
  ts: { url: "http://127.0.0.1:8081" }
`;

const table = (routes: string, head = `version: 1\n${BACKENDS}`): string => `${head}routes:\n${routes}`;
const DEFAULT = '  - { path: /, mode: legacy }\n';

/** The problems a table text is refused with (fails the test if it is accepted). */
function problemsOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseRouteTable(text, 'routes.yaml', env);
  } catch (err) {
    expect(err).toBeInstanceOf(RouteTableError);
    return (err as Error).message.split('\n').slice(1);
  }
  throw new Error('the table was accepted');
}

describe('parseRouteTable', () => {
  // The repository's table changes with every endpoint the example moves: what holds for any table is
  // checked on it, never its list of routes (a new route must not break this test).
  it('loads the repository table with env references resolved', () => {
    const repo = loadRouteTable(REPO_TABLE, { LEGACY_PORT: '9100', TS_HOST: '127.0.0.2' });
    expect(repo.backends.legacy).toEqual({ name: 'legacy', url: 'http://127.0.0.1:9100', host: '127.0.0.1', port: 9100 });
    expect(repo.backends.ts.url).toBe('http://127.0.0.2:8081');
    expect(repo.match('/no/route/has/this/path')).toMatchObject({ path: '/', mode: 'legacy', backend: 'legacy' });
    for (const route of repo.routes)
      expect([route.path, route.mode === 'legacy' ? route.handler : typeof route.handler]).toEqual([route.path, route.mode === 'legacy' ? null : 'string']);
  });

  it('reads each route with its path, exactness, mode, handler and methods, and matches by them', () => {
    const t = parseRouteTable(
      table(`${DEFAULT}  - { path: /api/v1/boards, exact: true, mode: next, handler: boards, methods: [GET] }
  - { path: /api/v1/threads, mode: next, handler: threads, methods: [GET] }
  - { path: /t, mode: next, handler: threads, methods: [GET] }
`) + 'settings: { max_body_mb: 16, proxy_timeout_s: 60 }\n',
      'r.yaml',
      {},
    );
    expect(t.routes.map((r) => [r.path, r.exact, r.mode, r.handler, r.methods])).toEqual([
      ['/', false, 'legacy', null, null],
      ['/api/v1/boards', true, 'next', 'boards', ['GET']],
      ['/api/v1/threads', false, 'next', 'threads', ['GET']],
      ['/t', false, 'next', 'threads', ['GET']],
    ]);
    expect(t.settings).toEqual({ maxBodyBytes: 16 * 1024 * 1024, proxyTimeoutMs: 60_000, legacyKeepAlive: true });
    expect(['/t/1', '/t', '/live/t/1', '/tX', '/api/v1/boards/1'].map((path) => t.match(path).path)).toEqual(['/t', '/t', '/', '/', '/']);
  });

  it('returns a deeply frozen table', () => {
    const repo = loadRouteTable(REPO_TABLE, {});
    expect(Object.isFrozen(repo)).toBe(true);
    expect(Object.isFrozen(repo.routes)).toBe(true);
    expect(Object.isFrozen(repo.routes.at(-1))).toBe(true);
    expect(Object.isFrozen(repo.routes.at(-1)!.methods)).toBe(true);
    expect(Object.isFrozen(repo.backends.legacy)).toBe(true);
    expect(Object.isFrozen(repo.settings)).toBe(true);
  });

  it('reads settings in MB, seconds and true or false', () => {
    const t = parseRouteTable(table(DEFAULT) + 'settings: { max_body_mb: 0.5, proxy_timeout_s: 5, legacy_keepalive: false }\n', 'r.yaml', {});
    expect(t.settings).toEqual({ maxBodyBytes: 512 * 1024, proxyTimeoutMs: 5000, legacyKeepAlive: false });
  });

  it('accepts port 0 so a server started on port 0 can load the table', () => {
    const t = parseRouteTable(table(DEFAULT), 'r.yaml', {});
    expect(parseRouteTable(table(DEFAULT).replace('8081', '0'), 'r.yaml', {}).backends.ts.port).toBe(0);
    expect(t.backends.ts.port).toBe(8081);
  });

  it('gives each table a revision: the counter, then a hash that any edit changes', () => {
    const text = table(DEFAULT, `version: 1\nrevision: 7\n${BACKENDS}`);
    const revision = parseRouteTable(text, 'routes.yaml', {}).revision;
    expect(revision).toMatch(/^7-[0-9a-f]{8}$/);
    expect(parseRouteTable(text, 'routes.yaml', {}).revision).toBe(revision);
    expect(parseRouteTable(`${text}# a comment\n`, 'routes.yaml', {}).revision).toMatch(/^7-/);
    expect(parseRouteTable(`${text}# a comment\n`, 'routes.yaml', {}).revision).not.toBe(revision);
    expect(parseRouteTable(table(DEFAULT), 'routes.yaml', {}).revision).toMatch(/^0-[0-9a-f]{8}$/);
    expect(problemsOf(table(DEFAULT, `version: 1\nrevision: -1\n${BACKENDS}`)).join('\n')).toMatch(/revision must be a whole number/);
  });

  it('names a file that does not exist', () => {
    expect(() => loadRouteTable('/nonexistent/routes.yaml', {})).toThrow(/\/nonexistent\/routes.yaml: cannot read the route table: the file does not exist\. Fix: point ROUTES/);
  });
});

describe('parseRouteTable refuses a bad table with the line and the fix', () => {
  it('reports a YAML syntax error with its position', () => {
    const [problem] = problemsOf('version: 1\nroutes:\n  - path: /\n   mode: legacy\n  bad: [\n');
    expect(problem).toMatch(/^routes\.yaml:\d+:\d+: YAML syntax error: .+\. Fix: check the indentation/);
  });

  it('refuses a top level that is not a mapping', () => {
    expect(problemsOf('- a\n- b\n')).toEqual([expect.stringMatching(/^routes\.yaml:1:1: the top level must be a mapping.*Fix: start the file with `version: 1`/)]);
  });

  it('refuses an unsupported or missing version', () => {
    expect(problemsOf(table(DEFAULT, `version: 2\n${BACKENDS}`))).toEqual([expect.stringMatching(/^routes\.yaml:1:10: unsupported version 2\. Fix: write `version: 1`/)]);
    expect(problemsOf(table(DEFAULT, BACKENDS))).toEqual([expect.stringMatching(/version is missing\. Fix: add `version: 1`/)]);
  });

  it('refuses a missing backend and a bad backend url', () => {
    const problems = problemsOf(table(DEFAULT, 'version: 1\nbackends:\n  legacy: { url: "https://example.com/app" }\n'));
    expect(problems).toEqual([
      expect.stringMatching(/^routes\.yaml:3:18: backend 'legacy' url 'https:\/\/example\.com\/app' is not http:\/\/HOST:PORT\. Fix: write it as http:\/\/HOST:PORT/),
      expect.stringMatching(/^routes\.yaml:3:3: backend 'ts' is missing\. Fix: add `ts: \{ url: "http:\/\/HOST:PORT" \}`/),
    ]);
  });

  it('refuses an env reference that is not set and has no default', () => {
    const head = 'version: 1\nbackends:\n  legacy: { url: "http://${LEGACY_HOST}:${LEGACY_PORT:-8090}" }\n  ts: { url: "http://127.0.0.1:${TS_PORT}" }\n';
    expect(problemsOf(table(DEFAULT, head), { TS_PORT: '8081' })).toEqual([
      expect.stringMatching(
        /^routes\.yaml:3:18: backend 'legacy' url uses \$\{LEGACY_HOST\}, which is not set\. Fix: set LEGACY_HOST in the environment or give a default: \$\{LEGACY_HOST:-VALUE\}/,
      ),
    ]);
  });

  it('refuses unknown keys with a did-you-mean', () => {
    const problems = problemsOf(table('  - { path: /, mode: legacy }\n  - { path: /a, mode: next, handler: a, method: [GET] }\n') + 'setings: {}\n');
    expect(problems).toEqual([
      expect.stringMatching(/^routes\.yaml:8:1: unknown key 'setings' in the top level\. Fix: did you mean 'settings'\?/),
      expect.stringMatching(/^routes\.yaml:7:41: unknown key 'method' in route 2\. Fix: did you mean 'methods'\?/),
    ]);
  });

  it('refuses a path that does not start with /', () => {
    expect(problemsOf(table(DEFAULT + '  - { path: api/v1, mode: legacy }\n'))).toEqual([
      expect.stringMatching(/^routes\.yaml:7:13: path 'api\/v1' does not start with '\/'\. Fix: write it as '\/api\/v1'/),
    ]);
  });

  it('refuses a path that is not in normalized form and says the normalized form', () => {
    expect(problemsOf(table(DEFAULT + '  - { path: /api//v1/./x/../threads, mode: legacy }\n'))).toEqual([
      expect.stringMatching(/path '\/api\/\/v1\/\.\/x\/\.\.\/threads' is not in normalized form.*Fix: write it as '\/api\/v1\/threads'/),
    ]);
  });

  it.each([['/a b'], ['/a%2Fb'], ['/a;b'], ['/a"b'], ['/a{b'], ['/é']])('refuses a path with characters outside the allowed set: %s', (path) => {
    expect(problemsOf(table(DEFAULT + `  - { path: '${path}', mode: legacy }\n`))).toEqual([
      expect.stringMatching(/which a route path may not contain\. Fix: use only letters, digits/),
    ]);
  });

  it("refuses '$' in a path, which nginx would take for a variable", () => {
    expect(problemsOf(table(DEFAULT + "  - { path: '/a$b', mode: legacy }\n"))).toEqual([expect.stringMatching(/contains '\$', which nginx would read as a variable/)]);
  });

  it.each([['/_internal'], ['/_INTERNAL/v1'], ['/_Internal2']])('refuses a route under /_internal in any case: %s', (path) => {
    expect(problemsOf(table(DEFAULT + `  - { path: ${path}, mode: next, handler: x }\n`))).toEqual([
      expect.stringMatching(/is under \/_internal, which the front doors never route/),
    ]);
  });

  it('refuses an unknown mode, naming the four', () => {
    expect(problemsOf(table(DEFAULT + '  - { path: /b, mode: nxt, handler: b }\n'))).toEqual([
      expect.stringMatching(/^routes\.yaml:7:23: unknown mode "nxt"\. Fix: did you mean 'next'\? use one of: legacy, shadow, canary, next/),
    ]);
  });

  it('refuses a TS route without a handler and a legacy route with one', () => {
    expect(problemsOf(table(DEFAULT + '  - { path: /a, mode: next }\n  - { path: /b, mode: legacy, handler: b }\n'))).toEqual([
      expect.stringMatching(/^routes\.yaml:7:5: a route in mode next needs a handler\. Fix: add `handler: <name>`/),
      expect.stringMatching(/^routes\.yaml:8:40: a legacy route has no handler\. Fix: remove `handler`/),
    ]);
  });

  it('refuses bad, lowercase and duplicate methods', () => {
    expect(problemsOf(table(DEFAULT + '  - { path: /a, mode: next, handler: a, methods: [GET, get, FETCH, GET] }\n'))).toEqual([
      expect.stringMatching(/method 'get' is not in capitals\. Fix: write 'GET'/),
      expect.stringMatching(/unknown method "FETCH"\. Fix: use one of: GET, HEAD, POST/),
      expect.stringMatching(/method 'GET' is listed twice\. Fix: remove the repeated entry/),
    ]);
  });

  it('refuses duplicate and overlapping routes', () => {
    const problems = problemsOf(table(DEFAULT + '  - { path: /a, mode: legacy }\n  - { path: /a, mode: next, handler: a }\n  - { path: /a/, mode: legacy }\n'));
    expect(problems).toEqual([
      expect.stringMatching(/^routes\.yaml:8:1: route '\/a' duplicates the route on line 7\. Fix: keep one of them/),
      expect.stringMatching(/^routes\.yaml:9:1: route '\/a\/' covers the same paths as '\/a' on line 7\. Fix/),
    ]);
  });

  it('refuses bad segment patterns with the line and how to write them', () => {
    const problems = problemsOf(
      table(
        DEFAULT +
          [
            '  - { path: "/a/**", mode: legacy }',
            '  - { path: "/a*", mode: legacy }',
            '  - { path: "/b/c*d/e", mode: legacy }',
            '  - { path: "/*", mode: legacy }',
            '  - { path: "/*/*", exact: true, mode: legacy }',
            '  - { path: "/b/*/", mode: legacy }',
            '  - { path: "/_internal/*", mode: legacy }',
            '',
          ].join('\n'),
      ),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^routes\.yaml:7:\d+: path '\/a\/\*\*' uses '\*\*'.*Fix: .*write '\/a\/\*'/),
      expect.stringMatching(/^routes\.yaml:8:\d+: path '\/a\*' has '\*' inside the segment 'a\*'; a '\*' must be a whole segment\. Fix: /),
      expect.stringMatching(/^routes\.yaml:9:\d+: path '\/b\/c\*d\/e' has '\*' inside the segment 'c\*d'/),
      expect.stringMatching(
        /^routes\.yaml:10:\d+: pattern '\/\*' has no literal segment, so it would take paths from the default route \/ .*Fix: start the pattern with at least one literal segment/,
      ),
      expect.stringMatching(/^routes\.yaml:11:\d+: pattern '\/\*\/\*' has no literal segment/),
      expect.stringMatching(/^routes\.yaml:12:\d+: pattern '\/b\/\*\/' ends with '\/'\. Fix: write '\/b\/\*'/),
      expect.stringMatching(/^routes\.yaml:13:\d+: path '\/_internal\/\*' is under \/_internal/),
    ]);
  });

  it('refuses a pattern written twice, and accepts its exact form beside it', () => {
    expect(problemsOf(table(DEFAULT + '  - { path: "/b/*/t", mode: legacy }\n  - { path: "/b/*/t", mode: next, handler: t }\n'))).toEqual([
      expect.stringMatching(/^routes\.yaml:8:1: route '\/b\/\*\/t' duplicates the route on line 7\. Fix: keep one of them/),
    ]);
    const t = parseRouteTable(table(DEFAULT + '  - { path: "/b/*/t", mode: legacy }\n  - { path: "/b/*/t", exact: true, mode: next, handler: t }\n'), 'r.yaml', {});
    expect([t.match('/b/x/t').mode, t.match('/b/x/t/1').mode]).toEqual(['next', 'legacy']);
  });

  it('refuses a prefix route that a pattern takes whole, and accepts one a pattern only takes part of', () => {
    expect(problemsOf(table(DEFAULT + '  - { path: "/api/*", mode: next, handler: api }\n  - { path: /api/v1/old/, mode: legacy }\n'))).toEqual([
      expect.stringMatching(
        /^routes\.yaml:8:1: route '\/api\/v1\/old\/' never gets a request: the pattern '\/api\/\*' on line 7 matches its path and everything below it.*Fix: give the pattern `exact: true`.*'\/api\/v1\/old\/\*'/,
      ),
    ]);
    const t = parseRouteTable(table(DEFAULT + '  - { path: "/api/*/threads", mode: next, handler: t }\n  - { path: /api/v1, mode: legacy }\n'), 'r.yaml', {});
    expect([t.match('/api/v1/threads/1').mode, t.match('/api/v1/boards').mode]).toEqual(['next', 'legacy']);
  });

  it('reads deprecated, sunset, successor and deprecation_doc into the headers that announce them', () => {
    const t = parseRouteTable(
      table(
        DEFAULT +
          '  - { path: /api/v1/boards, mode: legacy, deprecated: 2026-07-01, sunset: "2027-01-31T12:30:00+01:00", successor: /api/v2/boards, deprecation_doc: "https://example.com/v1?x=1" }\n' +
          '  - { path: /api/v1/old, mode: legacy, sunset: 2026-12-31 }\n',
      ),
      'r.yaml',
      {},
    );
    expect(t.match('/api/v1/boards/1').lifecycle).toEqual({
      deprecatedAt: 1782864000,
      sunsetAt: 1801395000,
      successor: '/api/v2/boards',
      deprecationDoc: 'https://example.com/v1?x=1',
      headers: {
        Deprecation: '@1782864000',
        Sunset: 'Sun, 31 Jan 2027 11:30:00 GMT',
        Link: ['</api/v2/boards>; rel="successor-version"', '<https://example.com/v1?x=1>; rel="deprecation"'],
      },
    });
    expect(t.match('/api/v1/old').lifecycle?.headers).toEqual({ Sunset: 'Thu, 31 Dec 2026 00:00:00 GMT' });
    expect(t.match('/').lifecycle).toBeUndefined();
  });

  it('refuses bad lifecycle dates and links, and a sunset before the deprecation', () => {
    const problems = problemsOf(
      table(
        DEFAULT +
          [
            '  - { path: /a, mode: legacy, deprecated: true }',
            '  - { path: /b, mode: legacy, deprecated: 2026-02-30 }',
            '  - { path: /c, mode: legacy, sunset: "31 Jan 2027" }',
            '  - { path: /d, mode: legacy, sunset: 1700000000 }',
            '  - { path: /e, mode: legacy, deprecated: 2026-07-01, sunset: 2026-06-30 }',
            '  - { path: /f, mode: legacy, successor: "api/v2" }',
            '  - { path: /g, mode: legacy, successor: "/v2/$x", deprecation_doc: "ftp://x/y" }',
            '  - { path: /h, mode: legacy, successor: "//evil.example/x" }',
            '  - { path: /i, mode: legacy, deprecation_doc: "https://x.example/a b" }',
            '',
          ].join('\n'),
      ),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^routes\.yaml:7:\d+: `deprecated: true` has no date.*RFC 9745.*Fix: write the day it was or will be deprecated/),
      expect.stringMatching(/^routes\.yaml:8:\d+: deprecated names a day or time that does not exist \(2026-02-30\)\. Fix: write e\.g\. `deprecated: 2026-07-01`/),
      expect.stringMatching(/^routes\.yaml:9:\d+: sunset is not a date: write YYYY-MM-DD/),
      expect.stringMatching(/^routes\.yaml:10:\d+: sunset must be a date\. Fix: write e\.g\. `sunset: 2027-01-31`/),
      expect.stringMatching(/^routes\.yaml:11:\d+: sunset 2026-06-30T00:00:00\.000Z is before deprecated 2026-07-01T00:00:00\.000Z\. Fix: .*set sunset on or after deprecated/),
      expect.stringMatching(/^routes\.yaml:12:\d+: successor must be a path on this site or an http\(s\) URL\. Fix: write e\.g\. `successor: \/api\/v2\/boards`/),
      expect.stringMatching(/^routes\.yaml:13:\d+: successor must be/),
      expect.stringMatching(/^routes\.yaml:13:\d+: deprecation_doc must be/),
      expect.stringMatching(/^routes\.yaml:14:\d+: successor must be/),
      expect.stringMatching(/^routes\.yaml:15:\d+: deprecation_doc must be/),
    ]);
  });

  it('accepts an exact route and a prefix route on the same path', () => {
    const t = parseRouteTable(table(DEFAULT + '  - { path: /a, exact: true, mode: legacy }\n  - { path: /a, mode: next, handler: a }\n'), 'r.yaml', {});
    expect(t.match('/a').mode).toBe('legacy');
    expect(t.match('/a/b').mode).toBe('next');
  });

  it('refuses a table without a default route / in mode legacy', () => {
    expect(problemsOf(table('  - { path: /a, mode: legacy }\n'))).toEqual([expect.stringMatching(/there is no default route \/\. Fix: add `- \{ path: \/, mode: legacy \}`/)]);
    expect(problemsOf(table('  - { path: /, mode: next, handler: all }\n'))).toEqual([expect.stringMatching(/the default route \/ is in mode next\. Fix: set `mode: legacy`/)]);
  });

  it('refuses bad settings', () => {
    expect(problemsOf(table(DEFAULT) + 'settings: { max_body_mb: -1, proxy_timeout_s: "60s", legacy_keepalive: "no" }\n')).toEqual([
      expect.stringMatching(/max_body_mb must be a number above 0/),
      expect.stringMatching(/proxy_timeout_s must be a number above 0/),
      expect.stringMatching(/legacy_keepalive must be true or false/),
    ]);
  });

  it('reports every problem of a table in one message', () => {
    const text = readFileSync(REPO_TABLE, 'utf8')
      .replace(/^ {4}mode: next$/m, '    mode: canary')
      .replace(/^ {4}methods: \[GET\]$/m, '    methods: [get]')
      .replace(/^version: 1$/m, 'version: 3');
    expect(problemsOf(text)).toHaveLength(3);
  });
});
