/**
 * The opt-in `X-Strangler-Answered-By` response header (STRANGLER_ANSWERED_BY=1): which side answered,
 * on which route and table revision, so a developer can check a flip with curl. Its first token is the
 * side; what follows are parameters (RFC 9110 §5.6.6), so a reader that wants only the side takes the
 * first token. nginx, the Node edge and the TS server write the same value.
 *
 * @example
 * answeredByValue('ts', '/api/v1/threads', '7-1f3a9c0b'); // 'ts; route="/api/v1/threads"; revision=7-1f3a9c0b'
 * answeredBySide('legacy; route="/"; revision=1-00c0ffee'); // 'legacy'
 */
export const ANSWERED_BY_HEADER = 'X-Strangler-Answered-By';

/**
 * The header's value. Route paths cannot hold '"' or '\' (checked at load), so the quoted string needs
 * no escapes; a revision is a token (digits, '-', hex).
 */
export const answeredByValue = (side: 'ts' | 'legacy', route: string, revision: string, mark: AnsweredByMark = {}): string =>
  `${side}; route="${route}"; revision=${revision}${mark.canary ? '; canary' : ''}${mark.fallback ? `; fallback=${mark.fallback}` : ''}`;

/**
 * What else an answer says about how it came: `canary` (the user's sticky canary bucket chose the side),
 * `fallback=<why>` (TS could not answer before its first byte and legacy did: `ts-error`, `ts-timeout`
 * at the TS server, `ts-unreachable` at a front door). Parameters after the revision: a reader that
 * takes the first token still gets the side.
 *
 * @example
 * answeredByValue('legacy', '/b', '7-1f3a9c0b', { fallback: 'ts-error' }); // 'legacy; route="/b"; revision=7-1f3a9c0b; fallback=ts-error'
 */
export interface AnsweredByMark {
  readonly canary?: boolean;
  readonly fallback?: string | null;
}

/** The value's parameters (`route`, `revision`, `fallback`, and `canary` as ''), unquoted. */
export function answeredByParams(value: string | null | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const part of (value ?? '').split(';').slice(1)) {
    const at = part.indexOf('=');
    const name = (at < 0 ? part : part.slice(0, at)).trim();
    if (name !== '')
      params[name] =
        at < 0
          ? ''
          : part
              .slice(at + 1)
              .trim()
              .replace(/^"(.*)"$/, '$1');
  }
  return params;
}

/** The side named by a header value (its first token), or null when there is none. */
export function answeredBySide(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const side = value.split(';')[0]!.trim();
  return side === '' ? null : side;
}
