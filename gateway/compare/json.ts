/**
 * JSON bodies compared structurally: object key order ignored, numbers by value, arrays by position.
 * Every differing pointer is reported (a changed value, a type change, a missing or extra key) unless an
 * ignore pattern covers it. Iterative, so a deeply nested document cannot overflow the stack.
 */
import { VALUE_CHARS, type Collector } from './collect.ts';
import { escapeSegment, generalizeSegment } from './pointer.ts';

/** Containers nested deeper than this are compared whole: one difference at this depth if they differ. */
export const MAX_JSON_DEPTH = 200;

const ABSENT = Symbol('absent');
type Value = unknown;

interface Frame {
  readonly a: Value;
  readonly b: Value;
  readonly segment: string;
  readonly isIndex: boolean;
  readonly parent: Frame | null;
  readonly depth: number;
  /** Ignore patterns whose first `depth` segments match this path. */
  readonly patterns: readonly (readonly string[])[];
}

/**
 * Compare two parsed JSON documents into `found`, skipping what `patterns` cover.
 *
 * @example
 * diffJson({ a: 1, b: [1, 2] }, { b: [1, 3], a: 1.0 }, [], found); // one difference: /b/1
 */
export function diffJson(a: Value, b: Value, patterns: readonly (readonly string[])[], found: Collector): void {
  const stack: Frame[] = [{ a, b, segment: '', isIndex: false, parent: null, depth: 0, patterns }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    if (frame.patterns.some((p) => p.length === frame!.depth)) continue;
    const here = frame;
    const report = (withType = false): void => found.add('body-json', () => ({ ...locate(here), legacy: shown(here.a, withType), ts: shown(here.b, withType) }));
    if (here.a === ABSENT || here.b === ABSENT) {
      report();
      continue;
    }
    const [ta, tb] = [typeOf(here.a), typeOf(here.b)];
    if (ta !== tb) {
      report(true);
      continue;
    }
    if (ta !== 'array' && ta !== 'object') {
      if (here.a !== here.b) report();
      continue;
    }
    if (here.depth >= MAX_JSON_DEPTH) {
      if (!deepEqual(here.a, here.b)) report();
      continue;
    }
    const children: Frame[] = [];
    const child = (segment: string, isIndex: boolean, ca: Value, cb: Value): void => {
      const depth = here.depth;
      const alive = here.patterns.filter((p) => p[depth] === '*' || p[depth] === segment);
      children.push({ a: ca, b: cb, segment, isIndex, parent: here, depth: depth + 1, patterns: alive });
    };
    if (ta === 'array') {
      const [xa, xb] = [here.a as Value[], here.b as Value[]];
      for (let i = 0; i < Math.max(xa.length, xb.length); i++) child(String(i), true, i < xa.length ? xa[i] : ABSENT, i < xb.length ? xb[i] : ABSENT);
    } else {
      const [oa, ob] = [here.a as Record<string, Value>, here.b as Record<string, Value>];
      for (const key of Object.keys(oa)) child(key, false, oa[key], Object.hasOwn(ob, key) ? ob[key] : ABSENT);
      for (const key of Object.keys(ob)) if (!Object.hasOwn(oa, key)) child(key, false, ABSENT, ob[key]);
    }
    // Reversed, so differences come out in document order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
}

function locate(frame: Frame): { path: string; classPath: string } {
  const path: string[] = [];
  const classPath: string[] = [];
  for (let f: Frame | null = frame; f !== null && f.parent !== null; f = f.parent) {
    path.push(escapeSegment(f.segment));
    classPath.push(escapeSegment(generalizeSegment(f.segment, f.isIndex)));
  }
  const join = (segments: string[]): string => (segments.length === 0 ? '' : '/' + segments.reverse().join('/'));
  return { path: join(path), classPath: join(classPath) };
}

function shown(v: Value, withType: boolean): string {
  return withType && v !== ABSENT ? `${typeOf(v)} ${render(v)}` : render(v);
}

function typeOf(v: Value): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Structural equality with the same rules (key order ignored), iterative: no depth limit. */
function deepEqual(a: Value, b: Value): boolean {
  const stack: [Value, Value][] = [[a, b]];
  for (let pair = stack.pop(); pair !== undefined; pair = stack.pop()) {
    const [x, y] = pair;
    const [tx, ty] = [typeOf(x), typeOf(y)];
    if (tx !== ty) return false;
    if (tx === 'array') {
      const [xa, ya] = [x as Value[], y as Value[]];
      if (xa.length !== ya.length) return false;
      for (let i = 0; i < xa.length; i++) stack.push([xa[i], ya[i]]);
    } else if (tx === 'object') {
      const [xo, yo] = [x as Record<string, Value>, y as Record<string, Value>];
      const keys = Object.keys(xo);
      if (keys.length !== Object.keys(yo).length) return false;
      for (const k of keys) {
        if (!Object.hasOwn(yo, k)) return false;
        stack.push([xo[k], yo[k]]);
      }
    } else if (x !== y) return false;
  }
  return true;
}

/**
 * A value as short JSON text, built only as far as VALUE_CHARS needs (a 256 KiB subtree costs nothing).
 *
 * @example
 * render({ a: [1, 2] }); // '{"a":[1,2]}'
 */
export function render(v: Value): string {
  if (v === ABSENT) return '(absent)';
  let out = '';
  const write = (x: Value): void => {
    if (out.length > VALUE_CHARS) return;
    if (Array.isArray(x)) {
      out += '[';
      for (let i = 0; i < x.length && out.length <= VALUE_CHARS; i++) {
        if (i > 0) out += ',';
        write(x[i]);
      }
      out += ']';
    } else if (x !== null && typeof x === 'object') {
      out += '{';
      let first = true;
      for (const k in x) {
        if (out.length > VALUE_CHARS) break;
        out += (first ? '' : ',') + JSON.stringify(k.slice(0, VALUE_CHARS)) + ':';
        write((x as Record<string, Value>)[k]);
        first = false;
      }
      out += '}';
    } else if (typeof x === 'string') out += JSON.stringify(x.slice(0, VALUE_CHARS + 1));
    else out += String(x);
  };
  write(v);
  return out;
}
