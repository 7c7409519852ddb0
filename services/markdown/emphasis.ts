/**
 * Pass 3 of the inline grammar: emphasis, and the writing of tokens as HTML.
 */
import { escapeHtml } from './text.ts';
import { isPlain, type Token } from './tokens.ts';

interface Run {
  readonly start: number;
  readonly length: number;
  readonly canOpen: boolean;
  readonly canClose: boolean;
}

const TAG_NAMES: Readonly<Record<number, string>> = { 1: 'em', 2: 'strong' };

/**
 * Pair runs of plain `*` into <em> and <strong>, then write every token out: plain and literal
 * characters escaped, finished HTML as is, links with their text through this pass on its own.
 *
 * @example
 * const tokens = [...'*a* <'].map((text): Token => ({ kind: 'plain', text }));
 * renderEmphasis(tokens); // '<em>a</em> &lt;'
 */
export function renderEmphasis(tokens: readonly Token[]): string {
  const tags = pairRuns(delimiterRuns(tokens));
  let out = '';
  let i = 0;
  while (i < tokens.length) {
    const tag = tags.get(i);
    if (tag) {
      out += tag.html;
      i += tag.length;
      continue;
    }
    const token = tokens[i]!;
    if (token.kind === 'link') out += `<a href="${escapeHtml(token.url)}">${renderEmphasis(token.children)}</a>`;
    else if (token.kind === 'html' || token.kind === 'break') out += token.text;
    else out += escapeHtml(token.text);
    i += 1;
  }
  return out;
}

function delimiterRuns(tokens: readonly Token[]): Run[] {
  const runs: Run[] = [];
  let i = 0;
  while (i < tokens.length) {
    if (!isPlain(tokens[i], '*')) {
      i += 1;
      continue;
    }
    const start = i;
    while (isPlain(tokens[i], '*')) i += 1;
    runs.push({ start, length: i - start, canOpen: !isSpace(tokens[i]), canClose: !isSpace(tokens[start - 1]) });
  }
  return runs;
}

/** "Space" around a run: a space, a newline, a break, or the edge of the text (`undefined`). */
function isSpace(token: Token | undefined): boolean {
  return token === undefined || token.kind === 'break' || isPlain(token, ' ') || isPlain(token, '\n');
}

/** Run start → the tag it becomes and how many tokens it covers; unpaired runs stay out (literal). */
function pairRuns(runs: readonly Run[]): Map<number, { html: string; length: number }> {
  const tags = new Map<number, { html: string; length: number }>();
  const stacks: Record<number, number[]> = { 1: [], 2: [] };
  for (const { start, length, canOpen, canClose } of runs) {
    if (length > 2) continue;
    const own = stacks[length]!;
    const other = stacks[3 - length]!;
    const opener = canClose ? own.pop() : undefined;
    if (opener !== undefined) {
      // Openers of the other length inside the pair can no longer close across it.
      while (other.length > 0 && other[other.length - 1]! > opener) other.pop();
      const name = TAG_NAMES[length]!;
      tags.set(opener, { html: `<${name}>`, length });
      tags.set(start, { html: `</${name}>`, length });
    } else if (canOpen) {
      own.push(start);
    }
  }
  return tags;
}
