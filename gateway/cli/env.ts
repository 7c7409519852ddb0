/**
 * Expand `${VAR}` and `${VAR:-default}` in a string, as shells and Compose do.
 *
 * @example
 * expandEnv('http://127.0.0.1:${PORT:-8090}', {}, fail); // 'http://127.0.0.1:8090'
 */
export function expandEnv(value: string, env: Record<string, string | undefined>, onMissing: (name: string) => never | string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_match, name: string, fallback: string | undefined) => {
    const found = env[name];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    return onMissing(name);
  });
}
