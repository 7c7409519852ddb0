/**
 * The route keys of the traffic modes: `percent` (canary), `fallback`, and the `shadow:`, `compare:` and
 * `gate:` blocks, each checked node by node like the rest of the table, with defaults for what is absent.
 *
 * @example
 * const traffic = readTrafficKeys(check, routeNode, 'canary'); // { percent: 10, fallback: true, shadow: {...}, ... }
 */
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import type { Checker } from './checker.ts';
import { parseRouteDate } from './lifecycle.ts';
import { DEMOTE_TARGETS } from './types.ts';
import type { CompareSettings, DemoteTarget, GateSettings, IgnoreRule, RouteMode, ShadowSettings } from './types.ts';

export const DEFAULT_SHADOW: ShadowSettings = Object.freeze({ samplePercent: 100, maxConcurrent: 8, maxBodyBytes: 256 * 1024, unsafe: false, noisePercent: 10 });

export const DEFAULT_COMPARE: CompareSettings = Object.freeze({ headers: Object.freeze(['content-type', 'location', 'cache-control']), ignore: Object.freeze([]) });

/**
 * 400 comparisons is the least with which none mismatching can pass a 1% limit: the Wilson upper bound
 * (z = 1.96) of 0 in n is 3.84 / (n + 3.84), at or below 1% from n = 381.
 */
export const DEFAULT_GATE: GateSettings = Object.freeze({
  minComparisons: 400,
  maxMismatchPercent: 1,
  maxErrorRatio: 1,
  maxP99Ratio: 1.5,
  minRequests: 200,
  windowS: 3600,
  demoteErrorPercent: 5,
  demoteMinRequests: 20,
  demoteWindowS: 60,
  demoteTo: 'legacy',
});

export interface TrafficKeys {
  readonly percent: number | null;
  readonly fallback: boolean;
  readonly shadow: ShadowSettings;
  readonly compare: CompareSettings;
  readonly gate: GateSettings;
}

export const TRAFFIC_KEYS = ['percent', 'fallback', 'shadow', 'compare', 'gate'] as const;

const SHADOW_KEYS = ['sample_percent', 'max_concurrent', 'max_body_kb', 'unsafe', 'noise_percent'] as const;
const COMPARE_KEYS = ['headers', 'ignore'] as const;
const IGNORE_KEYS = ['pointer', 'header', 'owner', 'expires', 'why'] as const;
const GATE_KEYS = [
  'min_comparisons',
  'max_mismatch_percent',
  'max_error_ratio',
  'max_p99_ratio',
  'min_requests',
  'window_s',
  'demote_error_percent',
  'demote_min_requests',
  'demote_window_s',
  'demote_to',
] as const;
// RFC 9110 token characters: what a header name may be made of.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// A JSON pointer (RFC 6901) whose every segment is non-empty and whose `~` escapes are ~0 or ~1.
const POINTER = /^(\/([^/~]|~[01])+)+$/;

/** A number in a range, else the default and a problem. */
type NumberKey = { readonly key: string; readonly min: number; readonly max: number; readonly whole?: boolean; readonly minExclusive?: boolean };

/**
 * Read the traffic keys of one route in `mode` (null when the mode itself was wrong).
 *
 * @example
 * readTrafficKeys(check, node, 'shadow').shadow.samplePercent; // 100 unless `shadow: { sample_percent: ... }`
 */
export function readTrafficKeys(check: Checker, route: YAMLMap, mode: RouteMode | null): TrafficKeys {
  return {
    percent: readPercent(check, route, mode),
    fallback: readBoolean(check, route, 'fallback', true, "write `fallback: false` to give the 502 page instead of legacy's answer when TS cannot answer, or remove it"),
    shadow: readShadow(check, route),
    compare: readCompare(check, route),
    gate: readGate(check, route),
  };
}

function readPercent(check: Checker, route: YAMLMap, mode: RouteMode | null): number | null {
  const node = route.get('percent', true) as Node | undefined;
  if (mode === 'canary' && node === undefined) {
    check.report(route, 'a route in mode canary needs a percent', 'add e.g. `percent: 10` (the share of users the TS handler answers)');
    return null;
  }
  if (node === undefined) return null;
  if (mode !== null && mode !== 'canary') {
    check.report(node, `percent only applies to a route in mode canary, and this one is in mode ${mode}`, 'remove `percent`, or set `mode: canary`');
    return null;
  }
  const value = isScalar(node) ? node.value : undefined;
  if (typeof value !== 'number' || !(value > 0) || value > 100) {
    check.report(node, 'percent must be a number above 0 and at most 100', 'write e.g. `percent: 10` (the share of users the TS handler answers; 100 is every user)');
    return null;
  }
  return value;
}

function readBoolean(check: Checker, map: YAMLMap, key: string, fallback: boolean, fix: string): boolean {
  const node = map.get(key, true) as Node | undefined;
  if (node === undefined) return fallback;
  if (isScalar(node) && typeof node.value === 'boolean') return node.value;
  check.report(node, `${key} must be true or false`, fix);
  return fallback;
}

function readNumber(check: Checker, map: YAMLMap, spec: NumberKey, fallback: number): number {
  const node = map.get(spec.key, true) as Node | undefined;
  if (node === undefined) return fallback;
  const value = isScalar(node) ? node.value : undefined;
  const low = spec.minExclusive ? (value as number) > spec.min : (value as number) >= spec.min;
  if (typeof value !== 'number' || !Number.isFinite(value) || !low || value > spec.max || (spec.whole === true && !Number.isInteger(value))) {
    const kind = spec.whole === true ? 'a whole number' : 'a number';
    check.report(
      node,
      `${spec.key} must be ${kind} ${spec.minExclusive ? 'above' : 'from'} ${spec.min} ${spec.minExclusive ? 'and at most' : 'to'} ${spec.max}`,
      `write e.g. \`${spec.key}: ${fallback}\` (the default)`,
    );
    return fallback;
  }
  return value;
}

/** The block under `key`, or null (absent, or reported as not a mapping). */
function block(check: Checker, route: YAMLMap, key: string, known: readonly string[], example: string): YAMLMap | null {
  const node = route.get(key, true) as Node | undefined;
  if (node === undefined) return null;
  if (!isMap(node)) {
    check.report(node, `${key} must be a mapping`, `write e.g. \`${key}: ${example}\`, or remove it for the defaults`);
    return null;
  }
  check.keys(node, known, `${key}`);
  return node;
}

function readShadow(check: Checker, route: YAMLMap): ShadowSettings {
  const node = block(check, route, 'shadow', SHADOW_KEYS, '{ sample_percent: 50, max_concurrent: 8 }');
  if (node === null) return DEFAULT_SHADOW;
  const d = DEFAULT_SHADOW;
  return Object.freeze({
    samplePercent: readNumber(check, node, { key: 'sample_percent', min: 0, max: 100 }, d.samplePercent),
    maxConcurrent: readNumber(check, node, { key: 'max_concurrent', min: 1, max: 10_000, whole: true }, d.maxConcurrent),
    maxBodyBytes: readNumber(check, node, { key: 'max_body_kb', min: 1, max: 64 * 1024, whole: true }, d.maxBodyBytes / 1024) * 1024,
    unsafe: readBoolean(check, node, 'unsafe', d.unsafe, 'write `unsafe: true` only when the handler writes nothing on a request carrying X-Strangler-Shadow: 1, else remove it'),
    noisePercent: readNumber(check, node, { key: 'noise_percent', min: 0, max: 100 }, d.noisePercent),
  });
}

function readCompare(check: Checker, route: YAMLMap): CompareSettings {
  const node = block(check, route, 'compare', COMPARE_KEYS, '{ headers: [content-type], ignore: [{ pointer: /generated_at, owner: you }] }');
  if (node === null) return DEFAULT_COMPARE;
  return Object.freeze({ headers: readHeaderList(check, node), ignore: readIgnoreRules(check, node) });
}

function readHeaderList(check: Checker, compare: YAMLMap): readonly string[] {
  const node = compare.get('headers', true) as Node | undefined;
  if (node === undefined) return DEFAULT_COMPARE.headers;
  if (!isSeq(node)) {
    check.report(node, 'compare.headers must be a list of header names', 'write e.g. `headers: [content-type, location]` (an empty list compares no header)');
    return DEFAULT_COMPARE.headers;
  }
  const names: string[] = [];
  for (const item of node.items as Node[]) {
    const value = isScalar(item) ? item.value : undefined;
    if (typeof value !== 'string' || !HEADER_NAME.test(value)) {
      check.report(item, `${JSON.stringify(value ?? null)} is not a header name`, 'write a header name such as `content-type` (letters, digits and - only)');
    } else if (names.includes(value.toLowerCase())) {
      check.report(item, `header '${value}' is listed twice`, 'remove the repeated entry (names are compared in any letter case)');
    } else {
      names.push(value.toLowerCase());
    }
  }
  return Object.freeze(names);
}

function readIgnoreRules(check: Checker, compare: YAMLMap): readonly IgnoreRule[] {
  const node = compare.get('ignore', true) as Node | undefined;
  if (node === undefined) return DEFAULT_COMPARE.ignore;
  if (!isSeq(node)) {
    check.report(node, 'compare.ignore must be a list of rules', 'write e.g. `ignore: [{ pointer: /generated_at, owner: alice, expires: 2027-01-31 }]`');
    return DEFAULT_COMPARE.ignore;
  }
  const rules: IgnoreRule[] = [];
  for (const item of node.items as Node[]) {
    const rule = readIgnoreRule(check, item);
    if (rule !== null) rules.push(rule);
  }
  return Object.freeze(rules);
}

function readIgnoreRule(check: Checker, node: Node): IgnoreRule | null {
  const example = '`- { pointer: /posts/*/views, owner: alice, expires: 2027-01-31, why: "counted behind" }` or `- { header: etag, owner: alice }`';
  if (!isMap(node)) {
    check.report(node, 'an ignore rule must be a mapping', `write it as ${example}`);
    return null;
  }
  check.keys(node, IGNORE_KEYS, 'an ignore rule');
  const before = check.problems.length;
  const pointer = node.get('pointer', true) as Node | undefined;
  const header = node.get('header', true) as Node | undefined;
  let kind: IgnoreRule['kind'] | null = null;
  let target = '';
  if ((pointer === undefined) === (header === undefined)) {
    check.report(
      node,
      pointer === undefined ? 'the ignore rule names nothing to ignore' : 'the ignore rule names both a pointer and a header',
      `give each rule one \`pointer\` or one \`header\`: ${example}`,
    );
  } else if (pointer !== undefined) {
    const value = isScalar(pointer) ? pointer.value : undefined;
    if (typeof value !== 'string' || !POINTER.test(value)) {
      check.report(
        pointer,
        `${JSON.stringify(value ?? null)} is not a JSON pointer to a field`,
        'write a pointer such as `/generated_at` or `/posts/*/views` (RFC 6901: each segment after a /, ~0 for ~ and ~1 for /; `*` is any one key or index; the whole body cannot be ignored)',
      );
    } else {
      [kind, target] = ['pointer', value];
    }
  } else {
    const value = isScalar(header) ? header!.value : undefined;
    if (typeof value !== 'string' || !HEADER_NAME.test(value))
      check.report(header, `${JSON.stringify(value ?? null)} is not a header name`, 'write a header name such as `header: etag`');
    else [kind, target] = ['header', value.toLowerCase()];
  }
  const ownerNode = node.get('owner', true) as Node | undefined;
  const owner = isScalar(ownerNode) && typeof ownerNode.value === 'string' ? ownerNode.value.trim() : '';
  if (owner === '')
    check.report(ownerNode ?? node, 'the ignore rule has no owner', 'add `owner: <name or team>`: who answers for the difference it hides and removes the rule once fixed');
  const expires = readExpiry(check, node);
  const whyNode = node.get('why', true) as Node | undefined;
  const why = whyNode === undefined ? null : isScalar(whyNode) && typeof whyNode.value === 'string' ? whyNode.value : undefined;
  if (why === undefined) check.report(whyNode, 'why must be a sentence', 'write e.g. `why: "the view count is written behind"`');
  if (check.problems.length > before || kind === null) return null;
  return Object.freeze({ kind, target, owner, expiresAt: expires, why: why ?? null, line: check.line(node) });
}

function readExpiry(check: Checker, rule: YAMLMap): number | null {
  const node = rule.get('expires', true) as Node | undefined;
  if (node === undefined) return null;
  const value = isScalar(node) ? node.value : undefined;
  const parsed = typeof value === 'string' ? parseRouteDate(value) : null;
  if (parsed === null || !parsed.ok) {
    check.report(node, `expires ${parsed === null ? 'must be a date' : parsed.reason}`, 'write e.g. `expires: 2027-01-31` (midnight UTC); from then on the rule hides nothing');
    return null;
  }
  return parsed.seconds;
}

function readGate(check: Checker, route: YAMLMap): GateSettings {
  const node = block(check, route, 'gate', GATE_KEYS, '{ min_comparisons: 400, max_mismatch_percent: 1 }');
  if (node === null) return DEFAULT_GATE;
  const d = DEFAULT_GATE;
  const number = (spec: NumberKey, fallback: number): number => readNumber(check, node, spec, fallback);
  return Object.freeze({
    minComparisons: number({ key: 'min_comparisons', min: 1, max: 10_000_000, whole: true }, d.minComparisons),
    maxMismatchPercent: number({ key: 'max_mismatch_percent', min: 0, max: 100, minExclusive: true }, d.maxMismatchPercent),
    maxErrorRatio: number({ key: 'max_error_ratio', min: 0, max: 1000, minExclusive: true }, d.maxErrorRatio),
    maxP99Ratio: number({ key: 'max_p99_ratio', min: 0, max: 1000, minExclusive: true }, d.maxP99Ratio),
    minRequests: number({ key: 'min_requests', min: 1, max: 10_000_000, whole: true }, d.minRequests),
    windowS: number({ key: 'window_s', min: 60, max: 30 * 86_400, whole: true }, d.windowS),
    demoteErrorPercent: number({ key: 'demote_error_percent', min: 0, max: 100, minExclusive: true }, d.demoteErrorPercent),
    demoteMinRequests: number({ key: 'demote_min_requests', min: 1, max: 10_000_000, whole: true }, d.demoteMinRequests),
    demoteWindowS: number({ key: 'demote_window_s', min: 5, max: 86_400, whole: true }, d.demoteWindowS),
    demoteTo: readDemoteTo(check, node),
  });
}

function readDemoteTo(check: Checker, gate: YAMLMap): DemoteTarget {
  const node = gate.get('demote_to', true) as Node | undefined;
  if (node === undefined) return DEFAULT_GATE.demoteTo;
  const value = isScalar(node) ? node.value : undefined;
  if (typeof value === 'string' && (DEMOTE_TARGETS as readonly string[]).includes(value)) return value as DemoteTarget;
  check.report(
    node,
    `demote_to ${JSON.stringify(value ?? null)} is not legacy or shadow`,
    'write `demote_to: legacy` (users get legacy, nothing is copied) or `demote_to: shadow` (users get legacy, comparisons go on)',
  );
  return DEFAULT_GATE.demoteTo;
}

/**
 * The traffic keys of a route that writes none: for code that builds a Route by hand (tests, tools).
 *
 * @example
 * const route: Route = { index: 0, line: 1, path: '/api', exact: false, mode: 'next', backend: 'ts', handler: 'api', methods: null, ...TRAFFIC_DEFAULTS };
 */
export const TRAFFIC_DEFAULTS: TrafficKeys = Object.freeze({ percent: null, fallback: true, shadow: DEFAULT_SHADOW, compare: DEFAULT_COMPARE, gate: DEFAULT_GATE });
