/**
 * Everything wrong with a route table, reported at once: each problem with its position and its fix.
 *
 * @example
 * try {
 *   loadRouteTable('routes.yaml');
 * } catch (err) {
 *   if (err instanceof RouteTableError) console.error(err.message); // routes.yaml:7:11: ... Fix: ...
 * }
 */
import type { RouteTableProblem } from './types.ts';

export class RouteTableError extends Error {
  override readonly name = 'RouteTableError';

  constructor(
    readonly source: string,
    readonly problems: readonly RouteTableProblem[],
  ) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${source} is not a valid route table (${count}):\n${problems.map((p) => formatProblem(source, p)).join('\n')}`);
  }
}

/** `routes.yaml:LINE:COL: <what is wrong>. Fix: <how>` */
export function formatProblem(source: string, problem: RouteTableProblem): string {
  const at = problem.line === null ? source : `${source}:${problem.line}:${problem.column ?? 1}`;
  return `${at}: ${problem.message.replace(/\.$/, '')}. Fix: ${problem.fix}`;
}

/** The closest of `known` to a misspelt `word`, for "did you mean" hints; null when nothing is close. */
export function closest(word: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
