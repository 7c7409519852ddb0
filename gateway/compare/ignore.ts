/**
 * Ignore rules split into those that apply now and those whose expiry has passed (skipped, and said).
 */
import { parsePointer } from './pointer.ts';
import type { IgnoreRule } from './types.ts';

export interface ActiveRules {
  /** Pointer rules as segments (`*` = any one index or key). */
  readonly pointers: readonly (readonly string[])[];
  /** Header rules, lower case. */
  readonly headers: ReadonlySet<string>;
  readonly expired: readonly IgnoreRule[];
}

/**
 * The rules that apply at `nowMs`: a rule whose `expiresAt` (unix seconds) is at or before now is expired.
 *
 * @example
 * activeRules([{ kind: 'header', target: 'ETag', owner: 'carol', expiresAt: null, why: null, line: 9 }], Date.now());
 * // { pointers: [], headers: Set { 'etag' }, expired: [] }
 */
export function activeRules(rules: readonly IgnoreRule[], nowMs: number): ActiveRules {
  const pointers: string[][] = [];
  const headers = new Set<string>();
  const expired: IgnoreRule[] = [];
  for (const rule of rules) {
    if (rule.expiresAt !== null && rule.expiresAt * 1000 <= nowMs) expired.push(rule);
    else if (rule.kind === 'header') headers.add(rule.target.toLowerCase());
    else pointers.push(parsePointer(rule.target));
  }
  return { pointers, headers, expired };
}
