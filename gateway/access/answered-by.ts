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
export const answeredByValue = (side: 'ts' | 'legacy', route: string, revision: string): string => `${side}; route="${route}"; revision=${revision}`;

/** The side named by a header value (its first token), or null when there is none. */
export function answeredBySide(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const side = value.split(';')[0]!.trim();
  return side === '' ? null : side;
}
