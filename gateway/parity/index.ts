/**
 * The gateway's parity harness, for any app: given the route table, the legacy app's URL and the TS
 * server's, each case is sent to both and must give identical status, chosen headers and body bytes,
 * answered by the TS side itself on a route the table gives it. Known gaps and normalizers are per case.
 *
 * @example
 * const parity = createParityHarness({ routes: 'routes.yaml', legacyUrl, tsUrl });
 * it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => parity.expectParity(c));
 */
export { createParityHarness, ParityError, DEFAULT_COMPARED_HEADERS, type ParityHarness, type ParityOptions } from './harness.ts';
export { observe } from './observe.ts';
export { differences } from './compare.ts';
export type { Answer, Normalizer, Observation, ParityCase, ParityResult } from './types.ts';
