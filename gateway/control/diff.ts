/**
 * A unified diff of two texts, line by line, for the audit log: what a command changed in routes.yaml.
 *
 * @example
 * lineDiff('a\nb\n', 'a\nc\n'); // '@@ line 2 @@\n-b\n+c'
 */
const CONTEXT_LINES = 1;

export function lineDiff(before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  // Longest common subsequence, from the end: lcs[i][j] is its length for a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: { kind: ' ' | '-' | '+'; line: string; at: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push({ kind: ' ', line: a[i++]!, at: j++ });
    else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ kind: '-', line: a[i++]!, at: j });
    else ops.push({ kind: '+', line: b[j]!, at: j++ });
  }
  const shown = ops.map((_op, k) => ops.slice(Math.max(0, k - CONTEXT_LINES), k + CONTEXT_LINES + 1).some((near) => near.kind !== ' '));
  const out: string[] = [];
  ops.forEach((op, k) => {
    if (!shown[k]) return;
    if (k === 0 || !shown[k - 1]) out.push(`@@ line ${op.at + 1} @@`);
    out.push(`${op.kind}${op.line}`);
  });
  return out.join('\n');
}
