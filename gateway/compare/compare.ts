/**
 * Two answers to one request compared: status, the route's chosen headers, and the body by content type,
 * after the ignore rules that still apply.
 */
import { bodyKind, diffBodies } from './body.ts';
import { clip, collector, type Collector } from './collect.ts';
import { decodedBody } from './decode.ts';
import { activeRules } from './ignore.ts';
import type { Captured, CompareSettings, Comparison } from './types.ts';

/**
 * Compare legacy's answer with TS's. `nowMs` decides which ignore rules have expired (default: now).
 *
 * @example
 * const json = (body: string): Captured => ({ status: 200, headers: { 'content-type': 'application/json' },
 *   contentType: 'application/json', body: Buffer.from(body), truncated: false });
 * compareAnswers(json('{"a":1,"b":2}'), json('{"b":2,"a":1.0}'), { headers: ['content-type'], ignore: [] });
 * // { equal: true, differences: [], omitted: 0, classes: [], unclassified: 0, tooLarge: false, expiredRules: [] }
 */
export function compareAnswers(legacy: Captured, ts: Captured, settings: CompareSettings, nowMs: number = Date.now()): Comparison {
  const rules = activeRules(settings.ignore, nowMs);
  const found = collector();
  if (legacy.status !== ts.status) found.add('status', () => ({ path: '', classPath: '', legacy: String(legacy.status), ts: String(ts.status) }));
  diffHeaders(legacy, ts, settings.headers, rules.headers, found);
  const tooLarge = legacy.truncated || ts.truncated;
  if (!tooLarge) diffBodies(bodyKind(legacy.contentType ?? ts.contentType), decodedBody(legacy), decodedBody(ts), rules.pointers, found);
  return {
    equal: found.listed.length === 0 && found.omitted() === 0,
    differences: found.listed,
    omitted: found.omitted(),
    classes: found.classes(),
    unclassified: found.unclassified(),
    tooLarge,
    expiredRules: rules.expired,
  };
}

function diffHeaders(legacy: Captured, ts: Captured, names: readonly string[], ignored: ReadonlySet<string>, found: Collector): void {
  for (const raw of names) {
    const name = raw.toLowerCase();
    if (ignored.has(name)) continue;
    const [a, b] = [headerValue(legacy, name), headerValue(ts, name)];
    if (a !== b) found.add('header', () => ({ path: name, classPath: name, legacy: clip(a ?? '(absent)'), ts: clip(b ?? '(absent)') }));
  }
}

/**
 * A header's value as compared: trimmed; for content-type the media type and parameter names in lower
 * case with the spacing around `;` gone (`application/json;charset=UTF-8` = `application/json; charset=utf-8`).
 */
function headerValue(answer: Captured, name: string): string | null {
  const value = Object.hasOwn(answer.headers, name) ? (answer.headers[name] ?? null) : null;
  if (value === null) return null;
  if (name !== 'content-type') return value.trim();
  return value
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part, i) => {
      if (i === 0) return part.toLowerCase();
      const eq = part.indexOf('=');
      if (eq === -1) return part.toLowerCase();
      const key = part.slice(0, eq).trim().toLowerCase();
      const val = part
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      return `${key}=${key === 'charset' ? val.toLowerCase() : val}`;
    })
    .join('; ');
}
