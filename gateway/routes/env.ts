/**
 * `${VAR}` and `${VAR:-default}` in route-table values, resolved from an environment at load time, so
 * one routes.yaml serves every machine and tests can point it at ports chosen at run time.
 *
 * @example
 * expandEnv('http://${LEGACY_HOST:-127.0.0.1}:${LEGACY_PORT:-8090}', { LEGACY_PORT: '9000' });
 * // { ok: true, value: 'http://127.0.0.1:9000' }
 */

export type Expanded = { ok: true; value: string } | { ok: false; missing: string[]; malformed: boolean };

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replace every reference; an unset variable without a default (shell `:-` semantics: empty counts as unset for the default) is reported. */
export function expandEnv(text: string, env: Readonly<Record<string, string | undefined>>): Expanded {
  const missing: string[] = [];
  const value = text.replace(REFERENCE, (_, name: string, fallback: string | undefined) => {
    const set = env[name];
    if (fallback !== undefined) return set ? set : fallback;
    if (set === undefined) missing.push(name);
    return set ?? '';
  });
  // Whatever '${' is left after replacing the well-formed references is a typo such as '${PORT' or '${1X}'.
  const malformed = value.includes('${');
  return missing.length === 0 && !malformed ? { ok: true, value } : { ok: false, missing, malformed };
}
