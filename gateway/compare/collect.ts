/**
 * Where the body, header and status comparisons put what they find: at most MAX_DIFFERENCES listed, at
 * most MAX_PER_CLASS of one class, the rest counted. Paths are rendered lazily and only within a budget,
 * so a document with a difference at every node stays linear.
 */
import { MAX_DIFFERENCES, MAX_PER_CLASS, type Difference, type DifferenceKind } from './types.ts';

/**
 * How many differences get their path rendered (to know their class); the rest are only counted. Paths
 * are at most MAX_JSON_DEPTH / MAX_HTML_DEPTH deep, so this bounds the work of a hostile answer.
 */
const MAX_RENDERED = 100_000;
/** Characters of a rendered value in a difference. */
export const VALUE_CHARS = 80;

/** A difference's place and values, rendered only when it is listed. */
export interface Described {
  readonly path: string;
  /** The path generalized (indices and ids as `*`); '' for the whole answer. */
  readonly classPath: string;
  readonly legacy: string;
  readonly ts: string;
}

export interface Collector {
  add(kind: DifferenceKind, describe: () => Described): void;
  readonly listed: Difference[];
  /** Every class found, with how many differences it had. */
  classes(): { classKey: string; count: number }[];
  /** Differences not listed (beyond the caps). */
  omitted(): number;
  /** Differences past the render budget: counted in `omitted`, but of no known class. */
  unclassified(): number;
}

/**
 * A fresh collector for one comparison.
 *
 * @example
 * const found = collector();
 * found.add('status', () => ({ path: '', classPath: '', legacy: '200', ts: '404' }));
 * found.listed; // [{ kind: 'status', path: '', classKey: 'status', legacy: '200', ts: '404' }]
 */
export function collector(): Collector {
  const listed: Difference[] = [];
  const perClass = new Map<string, number>();
  let rendered = 0;
  let omitted = 0;
  let unclassified = 0;
  return {
    listed,
    omitted: () => omitted,
    unclassified: () => unclassified,
    classes: () => [...perClass].map(([classKey, count]) => ({ classKey, count })),
    add(kind, describe) {
      if (rendered >= MAX_RENDERED) {
        omitted++;
        unclassified++;
        return;
      }
      rendered++;
      const { path, classPath, legacy, ts } = describe();
      const classKey = classPath === '' ? kind : `${kind} ${classPath}`;
      const seen = perClass.get(classKey) ?? 0;
      perClass.set(classKey, seen + 1);
      if (seen >= MAX_PER_CLASS || listed.length >= MAX_DIFFERENCES) omitted++;
      else listed.push({ kind, path, classKey, legacy: clip(legacy), ts: clip(ts) });
    },
  };
}

/**
 * A value cut to VALUE_CHARS characters, with `…` when cut.
 *
 * @example
 * clip('x'.repeat(100)).length; // 81
 */
export function clip(text: string): string {
  return text.length > VALUE_CHARS ? text.slice(0, VALUE_CHARS) + '…' : text;
}
