import { describe, expect, it } from 'vitest';
import { parseRouteTable } from '../routes/index.ts';
import { buildLocations, frontDoorRouting, generateNginxConfig, NginxConfigError } from './index.ts';

const MODULE = '/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so';
const OPTIONS = { listenHost: '127.0.0.1', listenPort: 8080, prefix: '/srv/front', pagesDir: '/srv/pages', headersMoreModule: MODULE, workerProcesses: 2 } as const;

const table = (routes: string, extra = '', ports = { legacy: 8090, ts: 8081 }) =>
  parseRouteTable(
    `version: 1\nbackends:\n  legacy: { url: "http://127.0.0.1:${ports.legacy}" }\n  ts: { url: "http://[::1]:${ports.ts}" }\n${extra}routes:\n  - { path: /, mode: legacy }\n${routes}`,
    'gen.yaml',
    {},
  );

describe('buildLocations', () => {
  it('gives a prefix route an exact location and a slash location, both to its backend', () => {
    expect(buildLocations(table('  - { path: /api/v1/threads, mode: next, handler: t }\n'))).toEqual([
      { match: '/', exact: false, backend: 'legacy', route: '/', fallback: false },
      { match: '/api/v1/threads/', exact: false, backend: 'ts', route: '/api/v1/threads', fallback: true },
      { match: '/api/v1/threads', exact: true, backend: 'ts', route: '/api/v1/threads', fallback: true },
    ]);
  });

  it("sends the bare path of a trailing-slash route where the table does, instead of nginx's 301", () => {
    expect(buildLocations(table('  - { path: /static/, mode: next, handler: s }\n'))).toEqual([
      { match: '/', exact: false, backend: 'legacy', route: '/', fallback: false },
      { match: '/static/', exact: false, backend: 'ts', route: '/static/', fallback: true },
      { match: '/static', exact: true, backend: 'legacy', route: '/', fallback: false },
    ]);
  });

  it("adds the bare path of an exact route ending in '/' too, which nginx would also redirect", () => {
    expect(buildLocations(table('  - { path: /b/, exact: true, mode: next, handler: b }\n'))).toEqual([
      { match: '/', exact: false, backend: 'legacy', route: '/', fallback: false },
      { match: '/b', exact: true, backend: 'legacy', route: '/', fallback: false },
      { match: '/b/', exact: true, backend: 'ts', route: '/b/', fallback: true },
    ]);
  });

  it('keeps the default location on the default route when / itself is an exact route elsewhere', () => {
    expect(buildLocations(table('  - { path: /, exact: true, mode: next, handler: home }\n'))).toEqual([
      { match: '/', exact: false, backend: 'legacy', route: '/', fallback: false },
      { match: '/', exact: true, backend: 'ts', route: '/', fallback: true },
    ]);
  });

  it('lets an exact route and a prefix route on one path keep their own locations', () => {
    const locations = buildLocations(table('  - { path: /x, exact: true, mode: legacy }\n  - { path: /x, mode: next, handler: x }\n'));
    expect(locations).toContainEqual({ match: '/x', exact: true, backend: 'ts', route: '/x', fallback: true });
    expect(locations).toContainEqual({ match: '/x/', exact: false, backend: 'ts', route: '/x', fallback: true });
    expect(locations).toHaveLength(3);
  });

  it('sends a listed route in mode legacy to the TS server, so that a mode change leaves the config as it is', () => {
    const legacy = buildLocations(table('  - { path: /api/v1/threads, mode: legacy }\n'));
    const next = buildLocations(table('  - { path: /api/v1/threads, mode: next, handler: t, methods: [GET] }\n'));
    expect(legacy).toEqual(next);
    expect(legacy).toContainEqual({ match: '/api/v1/threads/', exact: false, backend: 'ts', route: '/api/v1/threads', fallback: true });
  });
});

describe('the revision nginx reports', () => {
  it('writes the revision and routing in a comment, and answers them on a loopback status server when given a port', () => {
    const t = table('  - { path: /api, mode: next, handler: a }\n');
    const text = generateNginxConfig(t, { ...OPTIONS, statusPort: 9555 });
    expect(text).toContain(`# Route table revision ${t.revision}, front-door routing ${frontDoorRouting(t)}`);
    expect(text).toMatch(/listen 127\.0\.0\.1:9555;\n\s+access_log off;\n\s+location = \/strangler\/status \{/);
    expect(text).toContain(`return 200 '{"revision":"${t.revision}","routing":"${frontDoorRouting(t)}"}\\n';`);
    expect(generateNginxConfig(t, OPTIONS)).not.toContain('/strangler/status');
  });

  it('keeps the routing hash through a mode change and changes it when a route is added', () => {
    const legacy = table('  - { path: /api, mode: legacy }\n');
    const next = table('  - { path: /api, mode: next, handler: a, methods: [GET] }\n');
    expect(frontDoorRouting(next)).toBe(frontDoorRouting(legacy));
    expect(next.revision).not.toBe(legacy.revision);
    expect(frontDoorRouting(table('  - { path: /api, mode: legacy }\n  - { path: /b, mode: legacy }\n'))).not.toBe(frontDoorRouting(legacy));
  });
});

describe('buildLocations with segment patterns and lifecycle headers', () => {
  const patterned = table(
    [
      '  - { path: /b, mode: legacy }',
      '  - { path: "/b/*", exact: true, mode: next, handler: board }',
      '  - { path: "/b/*/t", exact: true, mode: legacy, deprecated: 2026-07-01, successor: /b2 }',
      '  - { path: /b/x, mode: next, handler: x, deprecated: 2026-07-01 }',
      '',
    ].join('\n'),
  );

  it('gives each pattern a regex location after the others, in the order the matcher tries them', () => {
    // Every listed route goes to the TS server, which adds the lifecycle headers of what it answers or passes on.
    expect(buildLocations(patterned).filter((location) => location.regex)).toEqual([
      { match: String.raw`^/b/[^/]+/t\z`, exact: false, regex: true, backend: 'ts', route: '/b/*/t', fallback: true },
      { match: String.raw`^/b/[^/]+\z`, exact: false, regex: true, backend: 'ts', route: '/b/*', fallback: true },
    ]);
  });

  it("keeps a prefix location on its prefix's route, though a pattern takes some of the paths below it", () => {
    const locations = buildLocations(patterned);
    expect(locations).toContainEqual({ match: '/b/', exact: false, backend: 'ts', route: '/b', fallback: true });
    // The exact location of a prefix's own path goes where the table sends that path, patterns counted.
    expect(locations).toContainEqual({ match: '/b/x', exact: true, backend: 'ts', route: '/b/*', fallback: true });
  });

  it('adds the lifecycle headers where the front door sends the route to legacy (the default route); the TS server adds its own', () => {
    const config = generateNginxConfig(
      parseRouteTable(
        'version: 1\nbackends:\n  legacy: { url: "http://127.0.0.1:8090" }\n  ts: { url: "http://[::1]:8081" }\nroutes:\n' +
          '  - { path: /, mode: legacy, deprecated: 2026-07-01, successor: /b2 }\n  - { path: /b/x, mode: next, handler: x, deprecated: 2026-07-01 }\n',
        'gen.yaml',
        {},
      ),
      OPTIONS,
    );
    const start = config.indexOf('location "/" {');
    const block = config.slice(start, config.indexOf('\n        }', start) + '\n        }'.length);
    const lines = block.split('\n').map((line) => line.trim());
    expect(lines).toContain(String.raw`add_header Link "</b2>; rel=\"successor-version\"" always;`);
    expect(lines).toContain('more_set_headers "Deprecation: @1782864000";');
    expect(block).toContain('proxy_pass http://strangler_legacy');
    expect(config).not.toMatch(/location = "?\/b\/x"? \{\n[^}]*Deprecation/);
  });
});

describe('generateNginxConfig', () => {
  const config = generateNginxConfig(table('  - { path: /api/v1/boards, exact: true, mode: next, handler: b }\n', 'settings: { max_body_mb: 0.5, proxy_timeout_s: 7 }\n'), OPTIONS);

  it('keeps the workers root when nginx is started as root, and says nothing of a user otherwise', () => {
    const base = table('');
    expect(generateNginxConfig(base, { ...OPTIONS, startedAsRoot: true })).toMatch(/^user root;$/m);
    expect(generateNginxConfig(base, { ...OPTIONS, startedAsRoot: false })).not.toMatch(/^\s*user /m);
  });

  it('fills every marker of the template', () => {
    expect(config).not.toMatch(/\{\{\w+\}\}/);
  });

  it('writes upstreams with keep-alive (legacy closing after each answer with legacy_keepalive: false), an IPv6 server in brackets, and proxy_pass carrying the URI unless the target goes as sent', () => {
    expect(config).toContain('upstream strangler_legacy {\n        server 127.0.0.1:8090;\n        keepalive 32;\n        keepalive_timeout 60s;');
    expect(config).toMatch(/map \$proxy_host \$strangler_upstream_connection \{\n\s+default "";\n\s+\}/);
    const closing = generateNginxConfig(table('', 'settings: { legacy_keepalive: false }\n'), OPTIONS);
    expect(closing).toContain('upstream strangler_legacy {\n        server 127.0.0.1:8090;\n    }');
    expect(closing).toMatch(/map \$proxy_host \$strangler_upstream_connection \{\n\s+default "";\n\s+strangler_legacy close;\n\s+strangler_ts_fallback close;\n\s+\}/);
    expect(config).toContain('server [::1]:8081;');
    expect(config).toContain(
      'location = "/api/v1/boards" {\n            proxy_next_upstream error timeout;\n            if ($strangler_raw_target) { proxy_pass http://strangler_ts_fallback; }\n            proxy_pass "http://strangler_ts_fallback/api/v1/boards";',
    );
    expect(config).toContain('location "/" {\n            if ($strangler_raw_target) { proxy_pass http://strangler_legacy; }\n            proxy_pass "http://strangler_legacy/";');
  });

  it('takes the listen address, prefix, module, pages and limits from the options and settings', () => {
    expect(config).toContain('listen 127.0.0.1:8080;');
    expect(config).toContain(`load_module ${MODULE};`);
    expect(config).toContain('pid /srv/front/nginx.pid;');
    expect(config).toContain('client_body_temp_path /srv/front/tmp/client_body;');
    expect(config).toContain('alias /srv/pages/;');
    expect(config).toContain('worker_processes 2;');
    expect(config).toContain(`client_max_body_size ${512 * 1024};`);
    expect(config).toContain('proxy_read_timeout 7s;');
    expect(generateNginxConfig(table(''), { ...OPTIONS, listenHost: '::' })).toContain('listen [::]:8080;');
  });

  it('keeps the security settings: internal 404, forged headers cleared, no version, request id', () => {
    expect(config).toContain('location ~* "^/_internal|\\x5C.*_internal" {\n            return 404;');
    expect(config).toContain("more_clear_input_headers 'X-Strangler-*' 'X-User-*' 'X-Strangler' 'X-User';");
    expect(config).toContain("more_clear_input_headers 'X-Original-URL' 'X-Rewrite-URL';");
    expect(config).toContain('server_tokens off;');
    expect(config).toContain('proxy_set_header X-Request-Id $request_id;');
    expect(config).toContain('add_header X-Request-Id $request_id always;');
    expect(config).toContain('proxy_set_header X-Forwarded-For $remote_addr;');
  });

  it('refuses a missing headers-more module, naming the Debian package', () => {
    expect(() => generateNginxConfig(table(''), { ...OPTIONS, headersMoreModule: undefined, moduleDirs: ['/nonexistent'] })).toThrow(
      /headers-more module is not installed; install the Debian package libnginx-mod-http-headers-more-filter/,
    );
  });

  it('refuses port 0 for nginx and for a backend, saying what to set', () => {
    expect(() => generateNginxConfig(table(''), { ...OPTIONS, listenPort: 0 })).toThrow(NginxConfigError);
    expect(() => generateNginxConfig(table(''), { ...OPTIONS, listenPort: 0 })).toThrow(/port from 1 to 65535/);
    expect(() => generateNginxConfig(table('', '', { legacy: 8090, ts: 0 }), OPTIONS)).toThrow(/backend 'ts' has port 0 in gen.yaml.*set TS_PORT/);
  });

  it('refuses a prefix path nginx could not read as one token', () => {
    expect(() => generateNginxConfig(table(''), { ...OPTIONS, prefix: '/tmp/my front' })).toThrow(/cannot be written into an nginx config/);
  });

  it('names route and backend in every route location, and the answered-by header on legacy locations only when asked', () => {
    const t = table('  - { path: /api/v1/boards, exact: true, mode: next, handler: b }\n');
    const off = generateNginxConfig(t, OPTIONS);
    const on = generateNginxConfig(t, { ...OPTIONS, answeredBy: true });
    expect(off).toContain('location = "/api/v1/boards" {');
    expect(off).toMatch(/location = "\/api\/v1\/boards" \{[^}]*\}[^}]*set \$strangler_route "\/api\/v1\/boards";\n\s+set \$strangler_backend ts;/);
    expect(off).not.toContain('X-Strangler-Answered-By');
    expect(on).toContain(`more_set_headers 'X-Strangler-Answered-By: legacy; route="/"; revision=${t.revision}';`);
    // The TS location names the side only when legacy answered for TS (a fallback): TS names itself.
    expect(on).toContain(`1 'legacy; route="$strangler_route"; revision=${t.revision}; fallback=$strangler_fallback_reason';`);
    expect(on).toContain(`more_set_headers 'X-Strangler-Answered-By: $strangler_fallback_answered_by';`);
    expect(on.match(/X-Strangler-Answered-By/g)).toHaveLength(2);
  });

  it('sends a route with fallback to the TS server with legacy as its backup, tried on every request; one without, to the TS server alone', () => {
    const t = table('  - { path: /a, exact: true, mode: next, handler: a }\n  - { path: /n, exact: true, mode: next, handler: n, fallback: false }\n');
    const text = generateNginxConfig(t, OPTIONS);
    expect(text).toContain('upstream strangler_ts_fallback {\n        server [::1]:8081 max_fails=0;\n        server 127.0.0.1:8090 backup;');
    expect(text).toContain(
      'location = "/a" {\n            proxy_next_upstream error timeout;\n            if ($strangler_raw_target) { proxy_pass http://strangler_ts_fallback; }',
    );
    expect(text).toContain('location = "/n" {\n            if ($strangler_raw_target) { proxy_pass http://strangler_ts; }');
  });

  it("changes the front-door routing hash when a route's fallback flag changes, not when its mode or percent does", () => {
    const withFallback = table('  - { path: /a, mode: canary, handler: a, percent: 10 }\n');
    expect(frontDoorRouting(table('  - { path: /a, mode: canary, handler: a, percent: 50 }\n'))).toBe(frontDoorRouting(withFallback));
    expect(frontDoorRouting(table('  - { path: /a, mode: next, handler: a }\n'))).toBe(frontDoorRouting(withFallback));
    expect(frontDoorRouting(table('  - { path: /a, mode: next, handler: a, fallback: false }\n'))).not.toBe(frontDoorRouting(withFallback));
  });

  it('writes the table revision into the access-log formats of routed requests', () => {
    const t = table('');
    expect(generateNginxConfig(t, OPTIONS)).toContain(`"revision":"${t.revision}"`);
  });
});
