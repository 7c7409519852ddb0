/**
 * Seeded random route tables for the front-door suites: a failing table can be reproduced from its
 * seed. Only candidates that keep the table valid are added (duplicates and overlaps are dropped).
 * With `patterns`, some routes are segment patterns; {@link WILDCARD_PROBES} fill their `*`s in probes.
 *
 * @example
 * const routes = randomRoutes({ seed: 7, count: 10, wrap: (routes) => head + routes });
 */
import { parseRouteTable } from '../../gateway/routes/index.ts';

// Every character class a route path may hold, and dot runs that are not dot segments.
const SEGMENTS = ['api', 'v1', 'v2', 'threads', 'boards', 'static', 'a', 'b', "it's", '(x)', 'a+b', 'k=v', '@me', 'x:y', 'a,b', '~u', 'x!', 'a&b', 'a.b', '..x', 'x..'];

const FEW_SEGMENTS = ['a', 'b', 'a.b', '(x)'];

/**
 * What a `*` of a pattern is replaced with to probe a table: one plain segment, regex characters, a
 * segment with an escaped '/' (decoded to a separator before matching), an empty segment, two segments,
 * a decoded newline, and a lone '*'.
 */
export const WILDCARD_PROBES = ['x', 'a.b+(c)', 'a%2Fb', '', 'x/y', 'x%0A', '*'] as const;

/** A small seeded PRNG (a linear congruential generator), uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export interface RandomRoutesOptions {
  readonly seed: number;
  /** How many candidates to try. */
  readonly count: number;
  /** The whole table text around the route lines (it must already hold the default route). */
  readonly wrap: (routeLines: string) => string;
  /** For `${VAR}` references in the wrapped text. */
  readonly env?: Record<string, string>;
  /** Whether routes may be segment patterns (`/a/*\/b`); default false. */
  readonly patterns?: boolean;
}

/** Route lines (`  - { path: ..., mode: ... }`) that, wrapped, make a valid table. */
export function randomRoutes({ seed, count, wrap, env = {}, patterns = false }: RandomRoutesOptions): string {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  let routes = '';
  for (let i = 0; i < count; i++) {
    const depth = 1 + Math.floor(next() * 3);
    // With patterns, about one segment in three is a '*' and most others come from a few, so that
    // patterns overlap each other and the prefixes and the order between them is put to the test.
    const segment = (): string => (!patterns ? pick(SEGMENTS) : next() < 0.35 ? '*' : next() < 0.8 ? pick(FEW_SEGMENTS) : pick(SEGMENTS));
    const path = `/${Array.from({ length: depth }, segment).join('/')}${next() < 0.15 ? '/' : ''}`;
    const exact = next() < 0.3 ? 'exact: true, ' : '';
    const mode = next() < 0.5 ? 'mode: legacy' : `mode: next, handler: h${i}${next() < 0.5 ? ', methods: [GET]' : ''}`;
    const candidate = `${routes}  - { path: "${path}", ${exact}${mode} }\n`;
    try {
      parseRouteTable(wrap(candidate), 'random.yaml', env);
      routes = candidate;
    } catch {
      // an invalid candidate (duplicate, overlap, a pattern without a literal segment) is simply not added
    }
  }
  return routes;
}
