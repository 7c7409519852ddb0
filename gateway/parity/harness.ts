/**
 * The parity harness: each case goes to the legacy app directly and to the TS server; status, the chosen
 * headers (values and spelling) and the body bytes must be identical, the status must be the one the case
 * demands, and the TS server must have answered the case itself, on a route the table gives it.
 */
import { loadRouteTable } from '../routes/index.ts';
import { normalizeTarget } from '../routes/normalize.ts';
import type { RouteTable } from '../routes/types.ts';
import { answeredBySide } from '../access/answered-by.ts';
import { planFor } from '../server/dispatch.ts';
import { differences } from './compare.ts';
import { observe } from './observe.ts';
import type { Answer, Normalizer, ParityCase, ParityResult } from './types.ts';

/** What most parity suites compare besides status and body. */
export const DEFAULT_COMPARED_HEADERS = ['content-type', 'content-length', 'cache-control', 'allow', 'location'] as const;
const ANSWERED_BY = 'x-strangler-answered-by';

export interface ParityOptions {
  /** The route table the TS server runs with: a routes.yaml path, or a loaded table. */
  readonly routes: string | RouteTable;
  /** Environment references in a routes.yaml path are resolved from this (default: none, so `${X:-default}` gives the default). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The legacy app itself, not a front door, e.g. `http://127.0.0.1:8090`. */
  readonly legacyUrl: string;
  /** The TS server's public listener, started with `STRANGLER_ANSWERED_BY=1` (or `answeredBy: true`). */
  readonly tsUrl: string;
  readonly comparedHeaders?: readonly string[];
  /** Applied to every case's observations before its own `normalize`. */
  readonly normalize?: Normalizer;
  /** `together` (default) sends both at once; `legacy-first` waits for legacy's answer, for cases that count something. */
  readonly order?: 'together' | 'legacy-first';
}

export interface ParityHarness {
  /** Run one case; never throws for a difference, only when a side cannot be reached. */
  check(testCase: ParityCase): Promise<ParityResult>;
  /** Run one case and throw a ParityError listing every problem when it does not hold. */
  expectParity(testCase: ParityCase): Promise<ParityResult>;
}

/** A case that does not hold; the message names the case and lists each problem. */
export class ParityError extends Error {
  override readonly name = 'ParityError';
  constructor(
    readonly testCase: ParityCase,
    readonly problems: readonly string[],
  ) {
    super(`${testCase.method ?? 'GET'} ${testCase.path} (${testCase.name}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * @example
 * const parity = createParityHarness({ routes: 'routes.yaml', legacyUrl: 'http://127.0.0.1:8090', tsUrl: 'http://127.0.0.1:8081' });
 * await parity.expectParity({ name: 'lists the items', path: '/api/items', status: 200 });
 */
export function createParityHarness(options: ParityOptions): ParityHarness {
  const { legacyUrl, tsUrl, comparedHeaders = DEFAULT_COMPARED_HEADERS, order = 'together' } = options;
  const table = typeof options.routes === 'string' ? loadRouteTable(options.routes, { ...options.env }) : options.routes;
  const shared = options.normalize ?? ((seen) => seen);

  async function check(testCase: ParityCase): Promise<ParityResult> {
    const unrouted = routeProblem(table, testCase);
    if (unrouted) return { ok: false, problems: [unrouted] };
    const send = (url: string): Promise<Answer> => observe(url, testCase, comparedHeaders, ANSWERED_BY);
    const [legacy, ts] = order === 'legacy-first' ? [await send(legacyUrl), await send(tsUrl)] : await Promise.all([send(legacyUrl), send(tsUrl)]);
    const problems: string[] = [];
    // The header's first token is the side; route and revision follow it.
    if (answeredBySide(ts.answeredBy) !== 'ts') problems.push(notAnsweredByTs(ts.answeredBy));
    if (legacy.status !== testCase.status) problems.push(`legacy answered ${legacy.status}, the case demands ${testCase.status}: legacy breaks the contract, or the case is wrong`);
    const normalize = (seen: Answer) => (testCase.normalize ?? ((x) => x))(shared(seen));
    const found = differences(normalize(legacy), normalize(ts));
    if (testCase.gap === undefined) problems.push(...found);
    else if (found.length === 0) problems.push(`the known gap "${testCase.gap}" no longer differs: the gap is fixed, take it off the case`);
    return { ok: problems.length === 0, problems, legacy, ts };
  }

  return {
    check,
    async expectParity(testCase) {
      const result = await check(testCase);
      if (!result.ok) throw new ParityError(testCase, result.problems);
      return result;
    },
  };
}

/** Why the TS server would not answer this case itself, or null when a `next` route gives it to a service. */
function routeProblem(table: RouteTable, testCase: ParityCase): string | null {
  const method = (testCase.method ?? 'GET').toUpperCase();
  const target = normalizeTarget(testCase.path);
  if (!target.ok) return `the path cannot be routed (${target.reason}); every server answers it 400 before any handler, so it is no parity case`;
  const route = table.match(target.path);
  if (planFor(table, route, { method }).answer === 'ts') return null;
  const where = `${table.source} line ${route.line}: ${route.path}${route.exact ? ' (exact)' : ''} in mode ${route.mode}`;
  const fix = 'Fix: give the harness the table the TS server runs with, with this route in mode next, or drop the case';
  if (route.mode !== 'next')
    return `the route of ${target.path} is ${route.mode} in the table (${where}), so the TS server would pass the case to legacy and compare legacy with legacy. ${fix}`;
  return `the route of ${target.path} does not move ${method} (${where}, methods ${route.methods!.join(', ')}), so the TS server would pass the case to legacy. ${fix}, or add ${method} to its methods`;
}

function notAnsweredByTs(answeredBy: string | null): string {
  if (answeredBy === null)
    return 'the TS server did not say who answered (no X-Strangler-Answered-By header): start it with STRANGLER_ANSWERED_BY=1 (createTsServer({ answeredBy: true })), so that an answer passed on from legacy cannot pass for its own';
  return `the TS server did not answer this case itself (X-Strangler-Answered-By: ${answeredBy}): the table it runs with is not the one the harness was given, or its service is not mounted`;
}
