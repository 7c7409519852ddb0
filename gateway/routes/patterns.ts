/**
 * Segment patterns: a route path with `*` segments, such as `/api/v1/boards/*\/threads`, so one endpoint
 * can move without its whole prefix. A `*` is exactly one non-empty segment: it never spans a '/' and
 * never matches an empty segment. Like a prefix, a pattern covers the paths below what it matches unless
 * the route says `exact: true`.
 *
 * One source for both matchers: the JS regex of the edge and the TS server and the PCRE regex of nginx's
 * location differ only in the end anchor (PCRE's `$` also matches before a final newline, which a
 * decoded %0A can put there; `\z` does not), and one order decides which of two patterns wins.
 *
 * @example
 * patternRegex('/api/v1/boards/*\/threads', true, 'pcre'); // '^/api/v1/boards/[^/]+/threads\z'
 * isPattern('/api/v1/boards'); // false
 */
import { escapeUri, type NormalizedTarget } from './normalize.ts';
import type { Route } from './types.ts';

export const WILDCARD = '*';

/** Whether a route path holds a `*` segment. */
export const isPattern = (path: string): boolean => path.split('/').includes(WILDCARD);

/** What is wrong with a path that holds a `*`, with its fix; null when it is a valid pattern (or has no `*`). */
export function patternProblem(path: string): { message: string; fix: string } | null {
  if (!path.includes(WILDCARD)) return null;
  const segments = path.split('/').slice(1);
  if (segments.some((segment) => segment.includes('**')))
    return {
      message: `path '${path}' uses '**', which routes do not have`,
      fix: `a '*' stands for one segment, and a route without \`exact: true\` already covers everything below what it matches: write '${path.replace(/\*{2,}/g, '*')}'`,
    };
  const partial = segments.find((segment) => segment.includes(WILDCARD) && segment !== WILDCARD);
  if (partial !== undefined)
    return {
      message: `path '${path}' has '*' inside the segment '${partial}'; a '*' must be a whole segment`,
      fix: `write the wildcard as its own segment (e.g. '/a/*' for any one segment under /a), or route the enclosing prefix; a literal '*' cannot be routed`,
    };
  if (path.endsWith('/'))
    return {
      message: `pattern '${path}' ends with '/'`,
      fix: `write '${path.replace(/\/+$/, '')}': it matches the path with or without the trailing '/' and, without \`exact: true\`, everything below it`,
    };
  if (segments.every((segment) => segment === WILDCARD))
    return {
      message: `pattern '${path}' has no literal segment, so it would take paths from the default route / and from every prefix route`,
      fix: "start the pattern with at least one literal segment, e.g. '/api/*/threads'; what no route claims stays with the default route /",
    };
  return null;
}

// The regex characters a route path may hold (the schema refuses '$'; '*' is only a whole segment).
const REGEX_SPECIAL = /[.+()]/g;

/**
 * The regex for a pattern route. `js` for the matcher; `pcre` for an nginx regex location (written
 * inside double quotes, where nginx keeps every backslash that does not precede a quote or a backslash).
 *
 * @example
 * patternRegex('/a/*', false, 'js'); // '^/a/[^/]+(?:/|$)'
 */
export function patternRegex(path: string, exact: boolean, flavour: 'js' | 'pcre'): string {
  const end = flavour === 'js' ? '$' : String.raw`\z`;
  const body = path
    .split('/')
    .slice(1)
    .map((segment) => (segment === WILDCARD ? '[^/]+' : segment.replace(REGEX_SPECIAL, (c) => `\\${c}`)))
    .join('/');
  return `^/${body}${exact ? end : `(?:/|${end})`}`;
}

/**
 * The order in which patterns are tried, the first that matches wins (nginx tries its regex locations
 * in config order, which is this order): more segments first (the longest, as with prefixes), then more
 * literal segments, then the one whose first wildcard comes later (a literal beats a `*` at the first
 * position where they differ), then `exact: true` before the same pattern without it. Two patterns that
 * can match one path are always told apart by these; file order only makes the sort total.
 *
 * @example
 * patterns.sort(comparePatterns); // '/a/b/*' before '/a/*\/c' before '/a/*'
 */
export function comparePatterns(a: Route, b: Route): number {
  const sa = a.path.split('/');
  const sb = b.path.split('/');
  if (sa.length !== sb.length) return sb.length - sa.length;
  const literals = (segments: readonly string[]): number => segments.filter((segment) => segment !== WILDCARD).length;
  if (literals(sa) !== literals(sb)) return literals(sb) - literals(sa);
  for (let i = 1; i < sa.length; i++) {
    const wildA = sa[i] === WILDCARD;
    const wildB = sb[i] === WILDCARD;
    if (wildA !== wildB) return wildA ? 1 : -1;
  }
  if (a.exact !== b.exact) return a.exact ? -1 : 1;
  return a.index - b.index;
}

/**
 * The request target a door sends upstream for a request on `route`. For a prefix or exact route, the
 * target's own forwardPath (gateway/routes/normalize.ts). A pattern is an nginx regex location, where
 * proxy_pass cannot carry a URI: nginx forwards the normalized path there through `rewrite ^ $uri
 * break`, which re-escapes it (NGX_ESCAPE_URI) even when the client used no %-escape. So a pattern
 * route's target is the re-escaped normalized path, unless it goes as sent (an escaped reserved
 * character such as %2F, which `rewrite` would have decoded).
 *
 * @example
 * forwardTargetFor(patternRoute, normalizeTarget('/a/{x}/./b?q') as OkTarget); // '/a/%7Bx%7D/b?q'
 */
export function forwardTargetFor(route: Route, target: Extract<NormalizedTarget, { ok: true }>): string {
  if (target.asSent || !isPattern(route.path)) return target.forwardPath + target.search;
  return escapeUri(target.path) + target.search;
}
