/**
 * The nginx front door: a complete nginx.conf generated from the route table and the template in
 * `nginx/nginx.conf.template`, runnable by an ordinary user with
 * `nginx -p <prefix> -c <file> -e stderr -g 'daemon off;'`. Everything nginx-specific lives here.
 *
 * @example
 * const table = loadRouteTable('routes.yaml');
 * const file = writeNginxConfig(table, { listenHost: '127.0.0.1', listenPort: 8080, prefix: 'nginx/run' });
 * // spawn('nginx', ['-p', 'nginx/run', '-c', file, '-e', 'stderr', '-g', 'daemon off;'])
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { METHODS } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ERROR_PAGES_DIR, ERROR_PAGE_STATUSES } from '../proxy/error-pages.ts';
import type { Backend, BackendName, RouteSettings, RouteTable } from '../routes/types.ts';
import { accessLogDirectives, locationAccessLines } from './access-log.ts';
import { buildLocations, type NginxLocation } from './locations.ts';
import { frontDoorRouting } from './routing.ts';
import { findHeadersMoreModule, HEADERS_MORE_PACKAGE } from './support.ts';

export { nginxSupport, findNginx, findHeadersMoreModule, HEADERS_MORE_PACKAGE, type NginxSupport } from './support.ts';
export { buildLocations, type NginxLocation } from './locations.ts';
export { frontDoorRouting } from './routing.ts';

/** Where nginx's status server answers (see {@link NginxConfigOptions.statusPort}). */
export const NGINX_STATUS_PATH = '/strangler/status';

const NGINX_DIR = fileURLToPath(new URL('../../nginx', import.meta.url));
export const TEMPLATE_FILE = join(NGINX_DIR, 'nginx.conf.template');
export const DEFAULT_PAGES_DIR = DEFAULT_ERROR_PAGES_DIR;
export const DEFAULT_OUT_DIR = join(NGINX_DIR, 'generated');
const UPSTREAM_KEEPALIVE_CONNECTIONS = 32;
const BYTES_PER_MB = 1024 * 1024;

export interface NginxConfigOptions {
  readonly listenHost: string;
  readonly listenPort: number;
  /** nginx's prefix (-p): pid file and temp directories go under it. */
  readonly prefix: string;
  /** Static error pages (STRANGLER_PAGES_DIR); default the gateway's neutral pages. */
  readonly pagesDir?: string;
  /** The headers-more module file; default: found in NGINX_MODULES_DIR or the usual module directories. */
  readonly headersMoreModule?: string;
  /** Where to look for it instead of NGINX_MODULES_DIR and the usual module directories. */
  readonly moduleDirs?: readonly string[];
  /** Default `auto` (one per core). */
  readonly workerProcesses?: number | 'auto';
  /**
   * Whether nginx will be started as root. Default: whether this process runs as root. Started as root,
   * nginx would run its workers as `nobody`, who cannot read a prefix or pages in a private directory
   * (a 0700 home): every error page would turn into a 403 and every buffered body into a 500. So the
   * workers stay the user that started nginx, as they do when an ordinary user starts it.
   */
  readonly startedAsRoot?: boolean;
  /**
   * STRANGLER_ANSWERED_BY=1: answers from legacy carry `X-Strangler-Answered-By: legacy; route="/p";
   * revision=…` (the TS server names itself). Default off.
   */
  readonly answeredBy?: boolean;
  /**
   * A port on 127.0.0.1 where a status-only server answers `GET /strangler/status` with the revision and
   * front-door routing hash of the table the config was generated from (`strangler status` asks the live
   * nginx there). None: no status server.
   */
  readonly statusPort?: number;
}

export interface WriteNginxConfigOptions extends NginxConfigOptions {
  /** Where nginx.conf is written; default `nginx/generated`. */
  readonly outDir?: string;
}

/** Thrown when a table or the options cannot become a working nginx config; the message says why and what to do. */
export class NginxConfigError extends Error {
  override readonly name = 'NginxConfigError';
}

/**
 * The nginx.conf text for a table.
 *
 * @example
 * const text = generateNginxConfig(table, { listenHost: '127.0.0.1', listenPort: 8080, prefix: '/tmp/front' });
 */
export function generateNginxConfig(table: RouteTable, options: NginxConfigOptions): string {
  const { listenHost, listenPort, prefix, pagesDir = DEFAULT_PAGES_DIR, workerProcesses = 'auto', startedAsRoot = process.getuid?.() === 0, answeredBy = false } = options;
  const headersMoreModule = options.headersMoreModule ?? (options.moduleDirs ? findHeadersMoreModule({}, options.moduleDirs) : findHeadersMoreModule());
  if (headersMoreModule === null) {
    throw new NginxConfigError(
      `the nginx headers-more module is not installed; install the Debian package ${HEADERS_MORE_PACKAGE} (or set NGINX_MODULES_DIR), or use the Node edge front door`,
    );
  }
  if (!Number.isInteger(listenPort) || listenPort < 1 || listenPort > 65535) {
    throw new NginxConfigError(
      `nginx cannot listen on port ${listenPort}: give a port from 1 to 65535 (nginx cannot report a port it picked, so 0 does not work; tests take one from freePort())`,
    );
  }
  for (const backend of Object.values(table.backends)) {
    if (backend.port === 0)
      throw new NginxConfigError(
        `backend '${backend.name}' has port 0 in ${table.source}; nginx needs its real port: set ${backend.name === 'ts' ? 'TS_PORT' : 'LEGACY_PORT'} before generating the config`,
      );
  }
  const backends = Object.values(table.backends);
  const values: Record<string, string> = {
    source: table.source,
    prefix: configPath(resolve(prefix)),
    pages_dir: configPath(resolve(pagesDir)),
    // The statuses with a page come from the one list the edge and the TS server answer with too.
    error_pages: ERROR_PAGE_STATUSES.map((status) => `        error_page ${status} /_internal/strangler/pages/${status}.html;`).join('\n'),
    headers_more_module: configPath(headersMoreModule),
    worker_user: startedAsRoot ? 'user root;' : '# The workers run as the user that starts nginx.',
    worker_processes: String(workerProcesses),
    listen: hostPort(listenHost, listenPort),
    client_max_body_size: table.settings.maxBodyBytes % BYTES_PER_MB === 0 ? `${table.settings.maxBodyBytes / BYTES_PER_MB}m` : String(table.settings.maxBodyBytes),
    proxy_timeout: `${Math.ceil(table.settings.proxyTimeoutMs / 1000)}s`,
    upstreams: [
      ...backends.map((backend) => upstreamBlock(backend, isKeptAlive(backend, table.settings))),
      fallbackUpstreamBlock(table.backends.ts, table.backends.legacy, isKeptAlive(table.backends.legacy, table.settings)),
      upstreamConnectionMap(backends.filter((backend) => !isKeptAlive(backend, table.settings))),
      upstreamHostMaps(backends),
    ].join('\n'),
    access_log: accessLogDirectives(table, configPath(resolve(prefix))),
    locations: buildLocations(table)
      .map((location) => locationBlock(location, locationAccessLines(location, table, { answeredBy })))
      .join('\n'),
    known_methods: METHODS.join('|'),
    revision: table.revision,
    routing: frontDoorRouting(table),
    status_server: options.statusPort === undefined ? '' : statusServer(options.statusPort, table),
  };
  return readFileSync(TEMPLATE_FILE, 'utf8').replace(/\{\{(\w+)\}\}/g, (marker, name: string) => {
    const value = values[name];
    if (value === undefined) throw new NginxConfigError(`${TEMPLATE_FILE} uses ${marker}, which the generator does not fill; remove it or add it to gateway/nginx`);
    return value;
  });
}

/**
 * Write the config to `<outDir>/nginx.conf` (default `nginx/generated/`), create the prefix's temp
 * directory, and return the file's absolute path.
 *
 * @example
 * const file = writeNginxConfig(table, { listenHost: '127.0.0.1', listenPort: 8080, prefix: 'nginx/run' });
 */
export function writeNginxConfig(table: RouteTable, options: WriteNginxConfigOptions): string {
  const text = generateNginxConfig(table, options);
  const outDir = resolve(options.outDir ?? DEFAULT_OUT_DIR);
  mkdirSync(outDir, { recursive: true });
  mkdirSync(join(resolve(options.prefix), 'tmp'), { recursive: true });
  const file = join(outDir, 'nginx.conf');
  writeFileSync(file, text);
  return file;
}

const upstreamName = (name: BackendName): string => `strangler_${name}`;
/** The TS server with legacy behind it: where a location with fallback sends its requests. */
const FALLBACK_UPSTREAM = 'strangler_ts_fallback';

/**
 * Whether nginx keeps connections to `backend` alive. The legacy app may send interim (1xx) answers,
 * which nginx 1.22 takes for the final one: it then reads the real answer as a body until the connection
 * closes. `legacy_keepalive: false` closes each after its answer, so such an exchange ends with it
 * instead of at the proxy timeout (docs/transparency.md); the TS server sends no 1xx.
 */
const isKeptAlive = (backend: Backend, settings: RouteSettings): boolean => backend.name !== 'legacy' || settings.legacyKeepAlive;

function upstreamBlock(backend: Backend, keptAlive: boolean): string {
  const keepalive = keptAlive ? [`        keepalive ${UPSTREAM_KEEPALIVE_CONNECTIONS};`, '        keepalive_timeout 60s;'] : [];
  return [`    upstream ${upstreamName(backend.name)} {`, `        server ${hostPort(backend.host, backend.port)};`, ...keepalive, '    }', ''].join('\n');
}

/**
 * The TS server first, legacy as `backup`: nginx sends a request to legacy only when the TS server
 * fails it the way `proxy_next_upstream error timeout` (the location's) names: refused, reset, or
 * silent before the response head. A non-idempotent request (POST, PATCH) goes on only if nothing was
 * sent to TS (a refused connection); once sent it gets the 502 page, never a second send (nginx's
 * rule without `non_idempotent`). `max_fails=0`: TS is tried on every request, so the first request
 * after a restart reaches it and no request skips TS for a `fail_timeout`. When legacy's connections
 * are not kept alive (`legacy_keepalive: false`) neither are this upstream's.
 */
function fallbackUpstreamBlock(ts: Backend, legacy: Backend, keptAlive: boolean): string {
  const keepalive = keptAlive ? [`        keepalive ${UPSTREAM_KEEPALIVE_CONNECTIONS};`, '        keepalive_timeout 60s;'] : [];
  return [
    `    upstream ${FALLBACK_UPSTREAM} {`,
    `        server ${hostPort(ts.host, ts.port)} max_fails=0;`,
    `        server ${hostPort(legacy.host, legacy.port)} backup;`,
    ...keepalive,
    '    }',
    '',
  ].join('\n');
}

/** `Connection: close` upstream for the backends whose connections are not kept alive, by upstream name. */
const upstreamConnectionMap = (closing: readonly Backend[]): string =>
  [
    '    map $proxy_host $strangler_upstream_connection {',
    '        default "";',
    ...closing.map((backend) => `        ${upstreamName(backend.name)} close;`),
    ...(closing.some((backend) => backend.name === 'legacy') ? [`        ${FALLBACK_UPSTREAM} close;`] : []),
    '    }',
    '',
  ].join('\n');

/**
 * The Host sent upstream: the client's, or (HTTP/1.0 without one) the backend's own address, as a Node
 * client sends it: what the app takes for itself when a request reaches it with no Host.
 */
const upstreamHostMaps = (backends: readonly Backend[]): string =>
  [
    '    map $proxy_host $strangler_backend_authority {',
    ...backends.map((backend) => `        ${upstreamName(backend.name)} "${hostPort(backend.host, backend.port)}";`),
    // A Host-less HTTP/1.0 request sent to TS first names TS's address, to legacy too if it falls back.
    ...backends.filter((backend) => backend.name === 'ts').map((backend) => `        ${FALLBACK_UPSTREAM} "${hostPort(backend.host, backend.port)}";`),
    '    }',
    '    map $http_host $strangler_upstream_host {',
    '        "" $strangler_backend_authority;',
    '        default $http_host;',
    '    }',
    '',
  ].join('\n');

function locationBlock(location: NginxLocation, extra: readonly string[]): string {
  // Route paths are limited to RFC 3986 path characters without '%', '"', '\', '$' and ';' (checked at
  // load), so inside double quotes they can neither end the string nor start a variable; a pattern's
  // regex adds only backslashes before regex characters, which nginx keeps as they are.
  const name = `"${location.match}"`;
  const upstream = `http://${location.fallback ? FALLBACK_UPSTREAM : upstreamName(location.backend)}`;
  const head = `        location ${location.regex ? '~ ' : location.exact ? '= ' : ''}${name} {`;
  // Legacy (the upstream's backup) gets the request when TS is refused, reset or silent before its head.
  const headers = [...answerHeaderLines(location.routeHeaders), ...(location.fallback ? ['            proxy_next_upstream error timeout;'] : [])];
  if (location.regex) {
    return [
      head,
      ...headers,
      // Before the `if`: its `rewrite ... break` ends the rewrite directives of the location.
      ...extra,
      // A regex location's proxy_pass cannot carry a URI, and without one nginx would send the target as
      // the client wrote it (dot segments and all): the rewrite makes it send the normalized path,
      // re-escaped (forwardTargetFor in gateway/routes/patterns.ts does the same). A target that goes as
      // sent skips it.
      '            if ($strangler_raw_target = 0) { rewrite ^ $uri break; }',
      `            proxy_pass ${upstream};`,
      '        }',
    ].join('\n');
  }
  return [
    head,
    ...headers,
    // Without a URI, proxy_pass sends the request target as the client wrote it.
    `            if ($strangler_raw_target) { proxy_pass ${upstream}; }`,
    `            proxy_pass "${upstream}${location.match}";`,
    // After the `if`: rewrite directives run in order whether or not it matched, and nested locations inherit headers.
    ...extra,
    '        }',
  ].join('\n');
}

/**
 * The lifecycle headers of a location's route (gateway/routes/lifecycle.ts), on every answer the
 * upstream gives: a single value replaces the upstream's header (headers-more), a list is added after
 * the upstream's own (add_header, so the app's Link values stay). An add_header here hides the server
 * level ones, so X-Request-Id is repeated. The front door's own error pages are served from another
 * location, without them, as the Node doors send theirs.
 */
function answerHeaderLines(headers: NginxLocation['routeHeaders']): string[] {
  if (headers === undefined) return [];
  const quoted = (text: string): string => `"${text.replace(/["\\]/g, '\\$&')}"`;
  const replaced = Object.entries(headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  const added = Object.entries(headers).flatMap(([name, value]) => (typeof value === 'string' ? [] : value.map((item) => [name, item] as const)));
  return [
    ...(added.length > 0
      ? ['            add_header X-Request-Id $request_id always;', ...added.map(([name, value]) => `            add_header ${name} ${quoted(value)} always;`)]
      : []),
    ...(replaced.length > 0 ? [`            more_set_headers ${replaced.map(([name, value]) => quoted(`${name}: ${value}`)).join(' ')};`] : []),
  ];
}

/** The status-only server: loopback, no access log, one JSON answer; never a front door. */
function statusServer(port: number, table: RouteTable): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NginxConfigError(`the nginx status port must be from 1 to 65535; got ${port}`);
  // Revisions and hashes are [0-9a-f-] only: nothing to escape inside the quoted string.
  const body = JSON.stringify({ revision: table.revision, routing: frontDoorRouting(table) });
  return [
    '',
    '    # Which table this nginx serves, for `strangler status` only: loopback, never a front door.',
    '    server {',
    `        listen 127.0.0.1:${port};`,
    '        access_log off;',
    `        location = ${NGINX_STATUS_PATH} {`,
    '            default_type application/json;',
    "            more_set_headers 'Cache-Control: no-store';",
    `            return 200 '${body}\\n';`,
    '        }',
    '        location / {',
    '            return 404;',
    '        }',
    '    }',
  ].join('\n');
}

const hostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** A filesystem path as one nginx config token; paths with quotes, spaces or '$' are refused. */
function configPath(path: string): string {
  if (/[\s"'\\;{}$#]/.test(path))
    throw new NginxConfigError(`the path '${path}' cannot be written into an nginx config (spaces, quotes, ';', '{', '}', '$' or '#'); move it to a plain path`);
  return path;
}
