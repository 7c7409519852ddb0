/**
 * The route-table checker: collects every problem of a table with its line, column and fix, so one pass
 * reports them all (gateway/routes/schema.ts and the traffic keys in ./traffic-keys.ts share it).
 *
 * @example
 * const check = new Checker(lineCounter);
 * check.report(node, 'percent must be a number', 'write e.g. `percent: 10`');
 */
import { isScalar, type LineCounter, type Node, type YAMLMap } from 'yaml';
import { closest } from './problems.ts';
import type { RouteTableProblem } from './types.ts';

export class Checker {
  readonly problems: RouteTableProblem[] = [];
  constructor(private readonly lines: LineCounter) {}

  report(node: Node | null | undefined, message: string, fix: string): void {
    const offset = node?.range?.[0];
    const pos = offset === undefined ? null : this.lines.linePos(offset);
    this.problems.push({ line: pos?.line ?? null, column: pos?.col ?? null, message, fix });
  }

  line(node: Node): number {
    return this.lines.linePos(node.range?.[0] ?? 0).line;
  }

  /** Report keys outside `known`, with a did-you-mean; `reserved` keys get their own message. */
  keys(map: YAMLMap, known: readonly string[], where: string, reserved: Record<string, string> = {}): void {
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : null;
      if (key !== null && known.includes(key)) continue;
      if (key !== null && key in reserved) {
        this.report(pair.key as Node, `'${key}' is reserved and not available yet`, reserved[key]!);
        continue;
      }
      const hint = key === null ? null : closest(key, known);
      this.report(
        pair.key as Node,
        `unknown key '${key ?? String(pair.key)}' in ${where}`,
        hint ? `did you mean '${hint}'? The keys allowed here are: ${known.join(', ')}` : `remove it; the keys allowed here are: ${known.join(', ')}`,
      );
    }
  }
}
