/**
 * Whether this machine can run the nginx front door: an nginx binary and the headers-more module.
 *
 * @example
 * const support = nginxSupport();
 * if (!support.ok) console.log(`using the Node edge: ${support.reason}`);
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where Debian, Ubuntu, Fedora and Alpine install dynamic nginx modules. */
const MODULE_DIRS = ['/usr/lib/nginx/modules', '/usr/lib64/nginx/modules', '/usr/share/nginx/modules', '/etc/nginx/modules'];
const MODULE_FILE = 'ngx_http_headers_more_filter_module.so';
/** nginx lives in sbin, which is often missing from an ordinary user's PATH. */
const EXTRA_BIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin'];

export const HEADERS_MORE_PACKAGE = 'libnginx-mod-http-headers-more-filter';

export type NginxSupport = { readonly ok: true; readonly binary: string; readonly headersMoreModule: string } | { readonly ok: false; readonly reason: string };

const isExecutable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The nginx binary on PATH (or in an sbin directory), or null. */
export function findNginx(env: NodeJS.ProcessEnv = process.env): string | null {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_BIN_DIRS];
  for (const dir of dirs) {
    const file = join(dir, 'nginx');
    if (isExecutable(file)) return file;
  }
  return null;
}

/** The headers-more module file, or null. NGINX_MODULES_DIR names a directory to look in first. */
export function findHeadersMoreModule(env: NodeJS.ProcessEnv = process.env, moduleDirs: readonly string[] = MODULE_DIRS): string | null {
  const dirs = env.NGINX_MODULES_DIR ? [env.NGINX_MODULES_DIR, ...moduleDirs] : moduleDirs;
  for (const dir of dirs) {
    const file = join(dir, MODULE_FILE);
    if (existsSync(file)) return file;
  }
  return null;
}

export function nginxSupport(env: NodeJS.ProcessEnv = process.env): NginxSupport {
  const binary = findNginx(env);
  if (binary === null) return { ok: false, reason: 'nginx is not installed (no nginx on PATH or in /usr/sbin); install it (Debian: apt-get install nginx) or use the Node edge' };
  const headersMoreModule = findHeadersMoreModule(env);
  if (headersMoreModule === null) {
    return {
      ok: false,
      reason: `the nginx headers-more module (${MODULE_FILE}) is not installed; install the Debian package ${HEADERS_MORE_PACKAGE}, or set NGINX_MODULES_DIR to the directory that holds it`,
    };
  }
  return { ok: true, binary, headersMoreModule };
}
