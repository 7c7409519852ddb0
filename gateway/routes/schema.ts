/**
 * The schema of routes.yaml, checked node by node so every problem carries its line, column and fix.
 * One pass collects them all; {@link readTable} returns the plain data only when there are none.
 *
 * @example
 * const { table, problems } = readTable(doc, lineCounter, process.env);
 */
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type YAMLMap } from 'yaml';
import { expandEnv } from './env.ts';
import { normalizeTarget, isInternalPath } from './normalize.ts';
import { isLinkTarget, lifecycleHeaders, parseRouteDate } from './lifecycle.ts';
import { isPattern, patternProblem, patternRegex } from './patterns.ts';
import { Checker } from './checker.ts';
import { closest } from './problems.ts';
import { readTrafficKeys, TRAFFIC_KEYS } from './traffic-keys.ts';
import { BACKEND_NAMES, HTTP_METHODS, ROUTE_MODES } from './types.ts';
import type { Backend, BackendName, HttpMethod, Route, RouteLifecycle, RouteMode, RouteSettings, RouteTableProblem } from './types.ts';

const TOP_KEYS = ['version', 'revision', 'backends', 'routes', 'settings'] as const;
const ROUTE_KEYS = ['path', 'exact', 'mode', 'handler', 'methods', 'deprecated', 'sunset', 'successor', 'deprecation_doc', ...TRAFFIC_KEYS] as const;
const SETTINGS_KEYS = ['max_body_mb', 'proxy_timeout_s', 'legacy_keepalive'] as const;
const DEFAULT_SETTINGS = { maxBodyBytes: 16 * 1024 * 1024, proxyTimeoutMs: 60_000, legacyKeepAlive: true } as const satisfies RouteSettings;
const MAX_BODY_MB_LIMIT = 1024;
const PROXY_TIMEOUT_S_LIMIT = 3600;
const BYTES_PER_MB = 1024 * 1024;

// What a route path may contain: RFC 3986 path characters without '%', so nothing needs decoding and
// nothing can break out of a quoted nginx location. '$' is refused separately (see checkPath).
const PATH_CHARS = /^[A-Za-z0-9._~!$&'()*+,=:@/-]*$/;
const HANDLER_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
// http://host:port with a DNS name, an IPv4 address or a bracketed IPv6 address; a trailing '/' is allowed.
const BACKEND_URL = /^http:\/\/([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):(\d{1,5})\/?$/;

export interface TableData {
  /** The change counter `revision:` (0 when absent); `strangler` commands raise it by one per change. */
  readonly counter: number;
  readonly backends: Record<BackendName, Backend>;
  readonly routes: Route[];
  readonly settings: RouteSettings;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Check a parsed document and return the table's data, or every problem found. */
export function readTable(doc: Document, lines: LineCounter, env: Env): { data: TableData | null; problems: RouteTableProblem[] } {
  const check = new Checker(lines);
  const root = doc.contents;
  if (!isMap(root)) {
    check.report(
      root,
      'the top level must be a mapping with version, backends and routes',
      'start the file with `version: 1`, then `backends:` and `routes:` (see the routes.yaml in the repository root)',
    );
    return { data: null, problems: check.problems };
  }
  check.keys(root, TOP_KEYS, 'the top level');

  const version = root.get('version', true);
  if (version === undefined) check.report(root, 'version is missing', 'add `version: 1` at the top of the file');
  else if (!isScalar(version) || version.value !== 1)
    check.report(version, `unsupported version ${JSON.stringify(isScalar(version) ? version.value : null)}`, 'write `version: 1`, the only version this gateway reads');

  const counter = readCounter(check, root);
  const backends = readBackends(check, root, env);
  const routes = readRoutes(check, root);
  const settings = readSettings(check, root);
  const ok = check.problems.length === 0 && backends !== null;
  return { data: ok ? { counter, backends, routes, settings } : null, problems: check.problems };
}

function readCounter(check: Checker, root: YAMLMap): number {
  const node = root.get('revision', true);
  if (node === undefined) return 0;
  if (isScalar(node) && Number.isSafeInteger(node.value) && (node.value as number) >= 0) return node.value as number;
  check.report(
    node,
    'revision must be a whole number, 0 or more',
    'write e.g. `revision: 7`, or leave the line out; `strangler set`, `promote` and `rollback` raise it by one per change',
  );
  return 0;
}

function readBackends(check: Checker, root: YAMLMap, env: Env): Record<BackendName, Backend> | null {
  const node = root.get('backends', true);
  const example = 'backends:\n  legacy: { url: "http://${LEGACY_HOST:-127.0.0.1}:${LEGACY_PORT:-8090}" }\n  ts: { url: "http://${TS_HOST:-127.0.0.1}:${TS_PORT:-8081}" }';
  if (!isMap(node)) {
    check.report(node ?? root, node === undefined ? 'backends is missing' : 'backends must be a mapping', `add\n${example}`);
    return null;
  }
  check.keys(node, BACKEND_NAMES, 'backends');
  const result: Partial<Record<BackendName, Backend>> = {};
  for (const name of BACKEND_NAMES) {
    const backend = node.get(name, true);
    if (!isMap(backend)) {
      check.report(backend ?? node, `backend '${name}' is ${backend === undefined ? 'missing' : 'not a mapping'}`, `add \`${name}: { url: "http://HOST:PORT" }\` under backends`);
      continue;
    }
    check.keys(backend, ['url'], `backend '${name}'`);
    const url = backend.get('url', true);
    if (!isScalar(url) || typeof url.value !== 'string') {
      check.report(url ?? backend, `backend '${name}' needs a url string`, `add \`url: "http://HOST:PORT"\` to backend '${name}'`);
      continue;
    }
    const expanded = expandEnv(url.value, env);
    if (!expanded.ok) {
      for (const variable of expanded.missing) {
        check.report(url, `backend '${name}' url uses \${${variable}}, which is not set`, `set ${variable} in the environment or give a default: \${${variable}:-VALUE}`);
      }
      if (expanded.malformed) check.report(url, `backend '${name}' url has a malformed variable reference`, 'write references as ${NAME} or ${NAME:-default}');
      continue;
    }
    const parsed = BACKEND_URL.exec(expanded.value);
    const port = parsed ? Number(parsed[2]) : NaN;
    // Port 0 is accepted: a server started on port 0 loads the table before it knows its port.
    if (!parsed || port > 65535) {
      check.report(
        url,
        `backend '${name}' url '${expanded.value}' is not http://HOST:PORT`,
        'write it as http://HOST:PORT with a host name or IP address and a port from 1 to 65535, no path, no https',
      );
      continue;
    }
    const host = parsed[1]!.replace(/^\[|\]$/g, '');
    result[name] = { name, url: `http://${parsed[1]}:${port}`, host, port };
  }
  return result.legacy && result.ts ? (result as Record<BackendName, Backend>) : null;
}

function readSettings(check: Checker, root: YAMLMap): RouteSettings {
  const node = root.get('settings', true);
  if (node === undefined) return DEFAULT_SETTINGS;
  if (!isMap(node)) {
    check.report(node, 'settings must be a mapping', 'write `settings: { max_body_mb: 16, proxy_timeout_s: 60 }` or remove it');
    return DEFAULT_SETTINGS;
  }
  check.keys(node, SETTINGS_KEYS, 'settings');
  const number = (key: string, max: number, fallback: number): number => {
    const value = node.get(key, true);
    if (value === undefined) return fallback;
    if (!isScalar(value) || typeof value.value !== 'number' || !(value.value > 0) || value.value > max) {
      check.report(value, `${key} must be a number above 0 and at most ${max}`, `write e.g. \`${key}: ${fallback}\``);
      return fallback;
    }
    return value.value;
  };
  const maxBodyMb = number('max_body_mb', MAX_BODY_MB_LIMIT, DEFAULT_SETTINGS.maxBodyBytes / BYTES_PER_MB);
  const proxyTimeoutS = number('proxy_timeout_s', PROXY_TIMEOUT_S_LIMIT, DEFAULT_SETTINGS.proxyTimeoutMs / 1000);
  const keepAlive = node.get('legacy_keepalive', true);
  let legacyKeepAlive: boolean = DEFAULT_SETTINGS.legacyKeepAlive;
  if (keepAlive !== undefined) {
    if (isScalar(keepAlive) && typeof keepAlive.value === 'boolean') legacyKeepAlive = keepAlive.value;
    else
      check.report(
        keepAlive,
        'legacy_keepalive must be true or false',
        'write `legacy_keepalive: false` when the app sends 1xx answers (103 Early Hints) behind nginx, else remove it',
      );
  }
  return { maxBodyBytes: Math.round(maxBodyMb * BYTES_PER_MB), proxyTimeoutMs: Math.round(proxyTimeoutS * 1000), legacyKeepAlive };
}

function readRoutes(check: Checker, root: YAMLMap): Route[] {
  const node = root.get('routes', true);
  if (!isSeq(node)) {
    check.report(node ?? root, node === undefined ? 'routes is missing' : 'routes must be a list', 'add `routes:` with at least the default route `- { path: /, mode: legacy }`');
    return [];
  }
  const routes: Route[] = [];
  node.items.forEach((item, index) => {
    const route = readRoute(check, item as Node, index);
    if (route) routes.push(route);
  });
  // A default route with a problem of its own is already reported; do not also call it missing.
  const defaultWritten = node.items.some((item) => isMap(item) && item.get('path') === '/');
  checkTable(check, node as unknown as Node, routes, defaultWritten);
  return routes;
}

function readRoute(check: Checker, node: Node, index: number): Route | null {
  if (!isMap(node)) {
    check.report(node, `route ${index + 1} must be a mapping`, 'write it as `- { path: /prefix, mode: legacy }`');
    return null;
  }
  check.keys(node, ROUTE_KEYS, `route ${index + 1}`);
  const before = check.problems.length;

  const path = checkPath(check, node);
  const exactNode = node.get('exact', true);
  if (exactNode !== undefined && !(isScalar(exactNode) && typeof exactNode.value === 'boolean')) {
    check.report(exactNode, 'exact must be true or false', 'write `exact: true` to match only this path, or remove it to match the path and everything below it');
  }
  const exact = isScalar(exactNode) && exactNode.value === true;
  const mode = checkMode(check, node);
  const handler = checkHandler(check, node, mode);
  const methods = checkMethods(check, node, mode);
  const lifecycle = checkLifecycle(check, node);
  const traffic = readTrafficKeys(check, node, mode);
  if (check.problems.length > before || path === null || mode === null) return null;
  const route: Route = { index, line: check.line(node), path, exact, mode, backend: frontDoorBackend(path, exact), handler, methods, ...traffic };
  return lifecycle === null ? route : { ...route, lifecycle };
}

/**
 * Where the front doors send a route: the default route to legacy, every other listed route to the TS
 * server whatever its mode (the TS server answers it or hands it to legacy by the mode). So a mode change
 * never changes nginx's config: an nginx reload closes idle kept-alive client connections, and a client
 * sending on one at that moment gets a read error, which no nginx setting avoids. The cost is one TS hop
 * for a listed route in mode legacy.
 */
const frontDoorBackend = (path: string, exact: boolean): BackendName => (path === '/' && !exact ? 'legacy' : 'ts');

function checkPath(check: Checker, route: YAMLMap): string | null {
  const node = route.get('path', true);
  if (!isScalar(node) || typeof node.value !== 'string') {
    check.report(node ?? route, node === undefined ? 'the route has no path' : 'path must be a string', 'add `path: /prefix` (a path starting with /)');
    return null;
  }
  const path = node.value;
  if (!path.startsWith('/')) {
    check.report(node, `path '${path}' does not start with '/'`, `write it as '/${path}'`);
    return null;
  }
  if (!PATH_CHARS.test(path)) {
    const bad = [...new Set([...path].filter((c) => !PATH_CHARS.test(c)))].map((c) => JSON.stringify(c)).join(', ');
    check.report(
      node,
      `path '${path}' contains ${bad}, which a route path may not contain`,
      "use only letters, digits and . _ ~ ! & ' ( ) * + , = : @ / - (write the decoded character, not a %-escape)",
    );
    return null;
  }
  if (path.includes('$')) {
    check.report(node, `path '${path}' contains '$', which nginx would read as a variable in proxy_pass`, 'leave the $ out of the route: route the enclosing prefix instead');
    return null;
  }
  const normalized = normalizeTarget(path);
  if (!normalized.ok) {
    check.report(node, `path '${path}' is not a valid path: ${normalized.reason}`, 'remove the .. segments that climb above /');
    return null;
  }
  if (normalized.path !== path) {
    check.report(node, `path '${path}' is not in normalized form, so no request could ever match it`, `write it as '${normalized.path}'`);
    return null;
  }
  const pattern = patternProblem(path);
  if (pattern !== null) {
    check.report(node, pattern.message, pattern.fix);
    return null;
  }
  if (isInternalPath(path)) {
    check.report(
      node,
      `path '${path}' is under /_internal, which the front doors never route`,
      "remove the route: internal endpoints are served only on the TS server's internal listener",
    );
    return null;
  }
  return path;
}

function checkMode(check: Checker, route: YAMLMap): RouteMode | null {
  const node = route.get('mode', true);
  const value = isScalar(node) ? node.value : undefined;
  if (node === undefined) {
    check.report(route, 'the route has no mode', 'add `mode: legacy` (legacy answers) or `mode: next` (the TS handler answers)');
    return null;
  }
  if (typeof value !== 'string' || !(ROUTE_MODES as readonly string[]).includes(value)) {
    const hint = typeof value === 'string' ? closest(value, ROUTE_MODES) : null;
    check.report(node, `unknown mode ${JSON.stringify(value ?? null)}`, `${hint && hint !== value ? `did you mean '${hint}'? ` : ''}use one of: ${ROUTE_MODES.join(', ')}`);
    return null;
  }
  return value as RouteMode;
}

function checkHandler(check: Checker, route: YAMLMap, mode: RouteMode | null): string | null {
  const node = route.get('handler', true);
  if (mode === 'legacy' && node !== undefined) {
    check.report(node, 'a legacy route has no handler', 'remove `handler`, or set `mode: next` so the handler answers');
    return null;
  }
  if (mode === null || mode === 'legacy') return null;
  if (node === undefined) {
    check.report(route, `a route in mode ${mode} needs a handler`, 'add `handler: <name>`, the name of the TS service that answers it (see services/)');
    return null;
  }
  if (!isScalar(node) || typeof node.value !== 'string' || !HANDLER_NAME.test(node.value)) {
    check.report(node, 'handler must be a service name', 'write a name such as `handler: threads` (letters, digits, - and _)');
    return null;
  }
  return node.value;
}

function checkMethods(check: Checker, route: YAMLMap, mode: RouteMode | null): readonly HttpMethod[] | null {
  const node = route.get('methods', true);
  if (node === undefined) return null;
  if (mode === 'legacy') {
    check.report(node, 'methods only apply to routes a TS handler answers', 'remove `methods` from this legacy route (legacy gets every method)');
    return null;
  }
  if (!isSeq(node) || node.items.length === 0) {
    check.report(node, 'methods must be a non-empty list', 'write e.g. `methods: [GET]`, or remove it to let the handler answer every method');
    return null;
  }
  const methods: HttpMethod[] = [];
  for (const item of node.items as Node[]) {
    const value = isScalar(item) ? item.value : undefined;
    if (typeof value !== 'string' || !(HTTP_METHODS as readonly string[]).includes(value.toUpperCase())) {
      check.report(item, `unknown method ${JSON.stringify(value ?? null)}`, `use one of: ${HTTP_METHODS.join(', ')}`);
    } else if (value !== value.toUpperCase()) {
      check.report(item, `method '${value}' is not in capitals`, `write '${value.toUpperCase()}'`);
    } else if (methods.includes(value as HttpMethod)) {
      check.report(item, `method '${value}' is listed twice`, 'remove the repeated entry');
    } else {
      methods.push(value as HttpMethod);
    }
  }
  return methods;
}

/** `deprecated`, `sunset`, `successor` and `deprecation_doc`; null when the route announces none. */
function checkLifecycle(check: Checker, route: YAMLMap): RouteLifecycle | null {
  const date = (key: 'deprecated' | 'sunset'): { seconds: number | null; node: Node | undefined } => {
    const node = route.get(key, true) as Node | undefined;
    if (node === undefined) return { seconds: null, node };
    const value = isScalar(node) ? node.value : undefined;
    if (key === 'deprecated' && value === true) {
      check.report(
        node,
        '`deprecated: true` has no date, and the Deprecation header (RFC 9745) carries one',
        'write the day it was or will be deprecated, e.g. `deprecated: 2026-07-01` (a past date: deprecated already)',
      );
      return { seconds: null, node };
    }
    const parsed = typeof value === 'string' ? parseRouteDate(value) : null;
    if (parsed === null || !parsed.ok) {
      check.report(
        node,
        `${key} ${parsed === null ? 'must be a date' : parsed.reason}`,
        `write e.g. \`${key}: ${key === 'sunset' ? '2027-01-31' : '2026-07-01'}\` (midnight UTC) or \`${key}: 2026-07-01T12:00:00Z\``,
      );
      return { seconds: null, node };
    }
    return { seconds: parsed.seconds, node };
  };
  const link = (key: 'successor' | 'deprecation_doc'): string | null => {
    const node = route.get(key, true) as Node | undefined;
    if (node === undefined) return null;
    if (isScalar(node) && typeof node.value === 'string' && isLinkTarget(node.value)) return node.value;
    check.report(
      node,
      `${key} must be a path on this site or an http(s) URL`,
      `write e.g. \`${key}: ${key === 'successor' ? '/api/v2/boards' : 'https://example.com/docs/v1-sunset'}\`: a path starting with a single '/' or http(s)://host/..., in URL characters (no spaces, quotes or '$'; %-escapes complete)`,
    );
    return null;
  };
  const deprecated = date('deprecated');
  const sunset = date('sunset');
  const successor = link('successor');
  const deprecationDoc = link('deprecation_doc');
  if (deprecated.seconds !== null && sunset.seconds !== null && sunset.seconds < deprecated.seconds) {
    check.report(
      sunset.node,
      `sunset ${new Date(sunset.seconds * 1000).toISOString()} is before deprecated ${new Date(deprecated.seconds * 1000).toISOString()}`,
      'a route is deprecated first and gone later: set sunset on or after deprecated',
    );
  }
  if (deprecated.seconds === null && sunset.seconds === null && successor === null && deprecationDoc === null) return null;
  const lifecycle = { deprecatedAt: deprecated.seconds, sunsetAt: sunset.seconds, successor, deprecationDoc };
  return Object.freeze({ ...lifecycle, headers: lifecycleHeaders(lifecycle) });
}

/**
 * A prefix route none of whose paths it would ever get: patterns come before prefixes, and a pattern
 * without `exact: true` that matches the prefix's own path also matches everything below it.
 */
function checkShadowedPrefixes(check: Checker, routes: readonly Route[]): void {
  const covering = routes.filter((route) => isPattern(route.path) && !route.exact).map((route) => ({ route, regex: new RegExp(patternRegex(route.path, false, 'js')) }));
  for (const prefix of routes) {
    if (prefix.exact || prefix.path === '/' || isPattern(prefix.path)) continue;
    const pattern = covering.find(({ regex }) => regex.test(prefix.path.replace(/\/$/, '')))?.route;
    if (pattern === undefined) continue;
    check.problems.push({
      line: prefix.line,
      column: null,
      message: `route '${prefix.path}' never gets a request: the pattern '${pattern.path}' on line ${pattern.line} matches its path and everything below it, and patterns come before prefixes`,
      fix: `give the pattern \`exact: true\` so it takes only the paths it matches, or route '${prefix.path.replace(/\/$/, '')}' with \`exact: true\` and what is below it with the pattern '${prefix.path.replace(/\/$/, '')}/*' (longer patterns come first)`,
    });
  }
}

/** Problems between routes: duplicates, overlaps nginx cannot express, and the default route. */
function checkTable(check: Checker, list: Node, routes: readonly Route[], defaultWritten: boolean): void {
  const seen = new Map<string, Route>();
  for (const route of routes) {
    // A prefix '/p' also owns '/p/...', so a prefix '/p/' next to it would claim the same locations.
    const keys = route.exact ? [`= ${route.path}`] : route.path.endsWith('/') ? [`${route.path}`] : [`${route.path}/`];
    for (const key of keys) {
      const earlier = seen.get(key);
      if (earlier === undefined) {
        seen.set(key, route);
        continue;
      }
      const what = earlier.path === route.path ? `duplicates the route on line ${earlier.line}` : `covers the same paths as '${earlier.path}' on line ${earlier.line}`;
      check.problems.push({
        line: route.line,
        column: null,
        message: `route '${route.path}'${route.exact ? ' (exact)' : ''} ${what}`,
        fix: 'keep one of them; use `exact: true` on one to split the path itself from what is below it',
      });
    }
  }
  checkShadowedPrefixes(check, routes);
  const fallback = routes.find((route) => route.path === '/' && !route.exact);
  if (fallback === undefined) {
    if (defaultWritten && check.problems.length > 0) return;
    check.report(list, 'there is no default route /', 'add `- { path: /, mode: legacy }` so everything not moved yet goes to legacy');
  } else if (fallback.mode !== 'legacy') {
    check.problems.push({
      line: fallback.line,
      column: null,
      message: `the default route / is in mode ${fallback.mode}`,
      fix: 'set `mode: legacy` on / ; move prefixes to TS one by one instead',
    });
  }
}
