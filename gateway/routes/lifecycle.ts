/**
 * A route's announced end: `deprecated` and `sunset` dates and the `successor` that replaces it, sent
 * as `Deprecation` (RFC 9745: a structured-field date, `@<unix seconds>`), `Sunset` (RFC 8594: an
 * HTTP-date) and `Link` (RFC 8288: rel="successor-version", rel="deprecation") on every answer the route
 * gives: the v1 → v2 window a public API keeps while v2 grows.
 *
 * Who adds them: the front door (nginx or the edge) when it sends the route to legacy, the TS server for
 * every answer it gives (its own and those it passes on to legacy). So each answer carries them once,
 * whichever side answers, and never the gateway's own error pages (502, 504), which are not the route's.
 *
 * @example
 * lifecycleHeaders({ deprecatedAt: 1767225600, sunsetAt: 1782864000, successor: '/api/v2/boards', deprecationDoc: null });
 * // { Deprecation: '@1767225600', Sunset: 'Wed, 01 Jul 2026 00:00:00 GMT', Link: ['</api/v2/boards>; rel="successor-version"'] }
 */
import type { AnswerHeaders, Route, RouteLifecycle } from './types.ts';

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2}))?$/;

export type ParsedDate = { readonly ok: true; readonly seconds: number } | { readonly ok: false; readonly reason: string };

/**
 * A date as routes.yaml writes it: `2026-07-01` (midnight UTC) or `2026-07-01T12:00:00Z` (a time needs
 * its offset, `Z` or `+02:00`); whole seconds, as both headers carry.
 *
 * @example
 * parseRouteDate('2026-07-01'); // { ok: true, seconds: 1782864000 }
 */
export function parseRouteDate(text: string): ParsedDate {
  const parts = DATE.exec(text);
  if (parts === null) return { ok: false, reason: 'is not a date: write YYYY-MM-DD (midnight UTC) or YYYY-MM-DDTHH:MM:SSZ' };
  const [, year, month, day, hour = '00', minute = '00', second = '00'] = parts;
  const ms = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}${parts[7] ?? 'Z'}`);
  // Date.parse rolls 2026-02-30 over to March; a date that does not round-trip does not exist.
  const sameDay = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day))).toISOString().startsWith(`${year}-${month}-${day}`);
  if (Number.isNaN(ms) || !sameDay || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59)
    return { ok: false, reason: `names a day or time that does not exist (${text})` };
  if (ms < 0) return { ok: false, reason: 'is before 1970, which the headers cannot carry' };
  return { ok: true, seconds: ms / 1000 };
}

// What a successor or a deprecation page may be: a path on this site or an http(s) URL, in RFC 3986
// characters without '$' (nginx would read a variable) and with %-escapes complete.
const LINK_TARGET = /^(?:\/(?!\/)|https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?(?:\/|$))[A-Za-z0-9\-._~:/?#[\]@!&'()*+,;=%]*$/;

/** Whether `text` may be a successor or a deprecation page (see the schema's message for what is allowed). */
export const isLinkTarget = (text: string): boolean => LINK_TARGET.test(text) && !/%(?![0-9A-Fa-f]{2})/.test(text);

/** The headers that announce a lifecycle, in the form {@link AnswerHeaders} describes. */
export function lifecycleHeaders(lifecycle: Omit<RouteLifecycle, 'headers'>): AnswerHeaders {
  const headers: Record<string, string | readonly string[]> = {};
  if (lifecycle.deprecatedAt !== null) headers.Deprecation = `@${lifecycle.deprecatedAt}`;
  // toUTCString is the IMF-fixdate form of an HTTP-date (RFC 9110 §5.6.7).
  if (lifecycle.sunsetAt !== null) headers.Sunset = new Date(lifecycle.sunsetAt * 1000).toUTCString();
  const links = [
    ...(lifecycle.successor === null ? [] : [`<${lifecycle.successor}>; rel="successor-version"`]),
    ...(lifecycle.deprecationDoc === null ? [] : [`<${lifecycle.deprecationDoc}>; rel="deprecation"`]),
  ];
  if (links.length > 0) headers.Link = links;
  return Object.freeze(headers);
}

/**
 * The lifecycle headers a front door adds for `route`: only when it sends the route to legacy; the TS
 * server adds them to what it answers, so an answer never carries them twice.
 *
 * @example
 * proxy.forward(req, res, backend, { routeHeaders: doorRouteHeaders(route) });
 */
export const doorRouteHeaders = (route: Route): AnswerHeaders | undefined => (route.backend === 'legacy' ? route.lifecycle?.headers : undefined);

/**
 * A Fetch Response with the lifecycle headers added (a copy: a Response's headers may be immutable).
 *
 * @example
 * return withRouteHeaders(await service.fetch(request), route.lifecycle?.headers);
 */
export function withRouteHeaders(res: Response, headers: AnswerHeaders | undefined): Response {
  if (headers === undefined) return res;
  const copy = new Response(res.body, res);
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') copy.headers.set(name, value);
    else for (const item of value) copy.headers.append(name, item);
  }
  return copy;
}
