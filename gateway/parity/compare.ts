/** The differences between two observations, each as a sentence a failing test can print. */
import type { Observation } from './types.ts';

const SNIPPET_BYTES = 60;

/**
 * @example
 * differences(legacy, ts); // ['status: legacy 404, TS 200', 'body: first difference at byte 12: …']
 */
export function differences(legacy: Observation, ts: Observation): string[] {
  const found: string[] = [];
  if (legacy.status !== ts.status) found.push(`status: legacy ${legacy.status}, TS ${ts.status}`);
  for (const name of new Set([...Object.keys(legacy.headers), ...Object.keys(ts.headers)])) {
    const [a, b] = [legacy.headers[name] ?? null, ts.headers[name] ?? null];
    if (a !== b) found.push(`header ${name}: legacy ${JSON.stringify(a)}, TS ${JSON.stringify(b)}`);
  }
  if (legacy.headerNames.join() !== ts.headerNames.join()) found.push(`header names as spelled: legacy ${legacy.headerNames.join(', ')}; TS ${ts.headerNames.join(', ')}`);
  if (!legacy.body.equals(ts.body)) found.push(bodyDifference(legacy.body, ts.body));
  return found;
}

function bodyDifference(a: Buffer, b: Buffer): string {
  let at = 0;
  while (at < a.length && at < b.length && a[at] === b[at]) at++;
  const around = (body: Buffer): string => JSON.stringify(body.subarray(Math.max(0, at - 10), at + SNIPPET_BYTES).toString('utf8'));
  return `body (legacy ${a.length} bytes, TS ${b.length} bytes): first difference at byte ${at}: legacy …${around(a)}…, TS …${around(b)}…`;
}
