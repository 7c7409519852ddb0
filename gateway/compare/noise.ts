/**
 * Noise, measured: legacy asked twice for the same request; what differs between its two answers is
 * noise, and what stays the same is kept as stable (so an ignore rule can be judged too broad).
 */
import { bodyKind } from './body.ts';
import { compareAnswers } from './compare.ts';
import { decodedBody } from './decode.ts';
import { MAX_JSON_DEPTH } from './json.ts';
import { escapeSegment, generalizeSegment, parsePointer, patternCovers } from './pointer.ts';
import type { Captured, Comparison, CompareSettings, Difference } from './types.ts';

/**
 * The differences between two legacy answers to one request, with no ignore rule applied (noise is
 * measured on the raw answers).
 *
 * @example
 * noiseBetween(firstLegacy, secondLegacy, route.compare); // [{ classKey: 'body-json /generated_at', ... }]
 */
export function noiseBetween(first: Captured, second: Captured, settings: CompareSettings): Difference[] {
  return noiseComparison(first, second, settings).differences;
}

/**
 * As {@link noiseBetween}, the whole comparison: `classes` names every noisy class, listed or not.
 *
 * @example
 * noiseComparison(a, b, route.compare).classes; // [{ classKey: 'body-json /posts/*\/views', count: 500 }]
 */
export function noiseComparison(first: Captured, second: Captured, settings: CompareSettings): Comparison {
  return compareAnswers(first, second, { headers: settings.headers, ignore: [] });
}

/**
 * A class key split into its kind and path.
 *
 * @example
 * splitClassKey('body-json /posts/*\/views'); // { kind: 'body-json', path: '/posts/*\/views' }
 * splitClassKey('status'); // { kind: 'status', path: '' }
 */
export function splitClassKey(classKey: string): { kind: string; path: string } {
  const space = classKey.indexOf(' ');
  return space === -1 ? { kind: classKey, path: '' } : { kind: classKey.slice(0, space), path: classKey.slice(space + 1) };
}

/**
 * True when a noisy class explains `classKey`: the same class, or (JSON) a pointer under a noisy one.
 *
 * @example
 * isNoise('body-json /meta/at', new Set(['body-json /meta'])); // true
 */
export function isNoise(classKey: string, noisyClassKeys: ReadonlySet<string>): boolean {
  if (noisyClassKeys.has(classKey)) return true;
  const { kind, path } = splitClassKey(classKey);
  if (kind !== 'body-json') return false;
  const segments = parsePointer(path);
  for (let n = segments.length - 1; n >= 0; n--) {
    const parent = segments.slice(0, n).map(escapeSegment);
    if (noisyClassKeys.has(n === 0 ? 'body-json' : `body-json /${parent.join('/')}`)) return true;
  }
  return false;
}

/**
 * A legacy-vs-TS comparison's differences split into real mismatches and noise (a class seen differing
 * between two legacy answers).
 *
 * @example
 * classifyAgainstNoise(comparison.differences, ['body-json /generated_at']);
 * // { mismatches: [...the rest], noise: [the /generated_at difference] }
 */
export function classifyAgainstNoise(differences: readonly Difference[], noisyClassKeys: Iterable<string>): { mismatches: Difference[]; noise: Difference[] } {
  const noisy = new Set(noisyClassKeys);
  const mismatches: Difference[] = [];
  const noise: Difference[] = [];
  for (const d of differences) (isNoise(d.classKey, noisy) ? noise : mismatches).push(d);
  return { mismatches, noise };
}

/**
 * What one comparison counts as: `match` (equal), `noise` (every class found is noise) or `mismatch`.
 * Differences beyond the work bound, of no known class, count as a mismatch.
 *
 * @example
 * comparisonOutcome(compareAnswers(legacy, ts, route.compare), noisyClassKeys); // 'noise'
 */
export function comparisonOutcome(comparison: Comparison, noisyClassKeys: Iterable<string>): 'match' | 'noise' | 'mismatch' {
  if (comparison.equal) return 'match';
  const noisy = new Set(noisyClassKeys);
  if (comparison.unclassified > 0) return 'mismatch';
  return comparison.classes.every((c) => isNoise(c.classKey, noisy)) ? 'noise' : 'mismatch';
}

/** Stable classes kept per pair: a bound on what a huge document can add to the store. */
export const MAX_STABLE_PATHS = 2000;

/**
 * The classes seen unchanged between two legacy answers: `status`, `header <name>` for each compared
 * header, and `body-json <pointer>` for each JSON leaf (indices and ids generalized). Kept by the store
 * so that a rule hiding one of them can be refused as too broad.
 *
 * @example
 * stablePaths(first, second, route.compare); // ['body-json /posts/*\/id', 'body-json /posts/*\/title', 'header content-type', 'status']
 */
export function stablePaths(first: Captured, second: Captured, settings: Pick<CompareSettings, 'headers'>): string[] {
  const stable = new Set<string>();
  if (first.status === second.status) stable.add('status');
  for (const raw of settings.headers) {
    const name = raw.toLowerCase();
    if ((first.headers[name] ?? null) === (second.headers[name] ?? null)) stable.add(`header ${name}`);
  }
  if (!first.truncated && !second.truncated && bodyKind(first.contentType) === 'json' && bodyKind(second.contentType) === 'json') {
    const [a, b] = [parse(decodedBody(first)), parse(decodedBody(second))];
    if (a !== FAILED && b !== FAILED) addEqualLeaves(a, b, stable);
  }
  return [...stable].sort();
}

const FAILED = Symbol('unparsed');

function parse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return FAILED;
  }
}

function addEqualLeaves(a: unknown, b: unknown, stable: Set<string>): void {
  const stack: { a: unknown; b: unknown; path: string; depth: number }[] = [{ a, b, path: '', depth: 0 }];
  for (let f = stack.pop(); f !== undefined && stable.size < MAX_STABLE_PATHS; f = stack.pop()) {
    const container = (v: unknown): 'array' | 'object' | null => (Array.isArray(v) ? 'array' : v !== null && typeof v === 'object' ? 'object' : null);
    const [ca, cb] = [container(f.a), container(f.b)];
    if (ca === null || cb === null || ca !== cb || f.depth >= MAX_JSON_DEPTH) {
      if (ca === null && cb === null && f.a === f.b) stable.add(f.path === '' ? 'body-json' : `body-json ${f.path}`);
      continue;
    }
    const oa = f.a as Record<string, unknown>;
    const ob = f.b as Record<string, unknown>;
    const keys =
      ca === 'array' ? [...Array(Math.min((f.a as unknown[]).length, (f.b as unknown[]).length)).keys()].map(String) : Object.keys(oa).filter((k) => Object.hasOwn(ob, k));
    if (keys.length === 0) stable.add(f.path === '' ? 'body-json' : `body-json ${f.path}`);
    for (const key of keys) stack.push({ a: oa[key], b: ob[key], path: `${f.path}/${escapeSegment(generalizeSegment(key, ca === 'array'))}`, depth: f.depth + 1 });
  }
}

/**
 * Whether a stable class lies under a noisy one (then it is not "only stable": a rule may hide it).
 *
 * @example
 * coveredByNoise(['posts', '*', 'views'], [['posts', '*', 'views']]); // true
 */
export function coveredByNoise(stablePath: readonly string[], noisy: readonly (readonly string[])[]): boolean {
  return noisy.some((n) => patternCovers(n, stablePath));
}
