/**
 * The inline grammar of one paragraph or heading: hard breaks and pass 1 (escapes, code spans,
 * autolinks, plain characters) here, pass 2 in links.ts, pass 3 in emphasis.ts.
 */
import { renderEmphasis } from './emphasis.ts';
import { findLinks } from './links.ts';
import { ASCII_PUNCTUATION, AUTOLINK } from './syntax.ts';
import { escapeHtml, trimEndSpaces } from './text.ts';
import type { Token } from './tokens.ts';

const PLAIN_NEWLINE: Token = { kind: 'plain', text: '\n' };
const HARD_BREAK: Token = { kind: 'break', text: '<br>\n' };

/**
 * Render a paragraph's or heading's lines (leading spaces already removed) as inline HTML.
 *
 * @example
 * renderInline(['a *b*  ', '`c`']); // 'a <em>b</em><br>\n<code>c</code>'
 */
export function renderInline(lines: readonly string[]): string {
  const tokens: Token[] = [];
  lines.forEach((raw, number) => {
    const isLast = number === lines.length - 1;
    let line = raw;
    let hardBreak = false;
    if (!isLast && line.endsWith('\\')) {
      line = line.slice(0, -1);
      hardBreak = true;
    } else if (!isLast && line.endsWith('  ')) {
      hardBreak = true;
    }
    scanLine(trimEndSpaces(line), tokens);
    if (!isLast) tokens.push(hardBreak ? HARD_BREAK : PLAIN_NEWLINE);
  });
  return renderEmphasis(findLinks(tokens));
}

/** Pass 1 over one line, appending to `tokens` (a spread of a long line's tokens would overflow the stack). */
function scanLine(line: string, tokens: Token[]): void {
  let runs: ReadonlyMap<number, readonly number[]> | undefined;
  let link: RegExpExecArray | null;
  let i = 0;
  while (i < line.length) {
    const char = line[i]!;
    if (char === '\\' && i + 1 < line.length && ASCII_PUNCTUATION.has(line[i + 1]!)) {
      tokens.push({ kind: 'literal', text: line[i + 1]! });
      i += 2;
    } else if (char === '`') {
      runs ??= backtickRuns(line);
      const length = runLengthAt(line, i);
      const starts = runs.get(length) ?? [];
      const closer = starts[firstAbove(starts, i + length - 1)];
      if (closer !== undefined) {
        tokens.push({ kind: 'html', text: codeSpan(line.slice(i + length, closer)) });
        i = closer + length;
      } else {
        for (let n = 0; n < length; n++) tokens.push({ kind: 'literal', text: '`' });
        i += length;
      }
    } else if (char === '<' && (link = autolinkAt(line, i))) {
      const url = escapeHtml(link[1]!);
      tokens.push({ kind: 'html', text: `<a href="${url}">${url}</a>` });
      i += link[0].length;
    } else {
      // One token per code point, as Python's str indexes them (an emoji is one character, not two).
      const point = String.fromCodePoint(line.codePointAt(i)!);
      tokens.push({ kind: 'plain', text: point });
      i += point.length;
    }
  }
}

function autolinkAt(line: string, index: number): RegExpExecArray | null {
  AUTOLINK.lastIndex = index;
  return AUTOLINK.exec(line);
}

function runLengthAt(line: string, index: number): number {
  let end = index;
  while (line[end] === '`') end += 1;
  return end - index;
}

/** Start positions of the maximal backtick runs of a line, by run length, ascending. */
function backtickRuns(line: string): Map<number, number[]> {
  const runs = new Map<number, number[]>();
  let i = 0;
  while (i < line.length) {
    if (line[i] === '`') {
      const length = runLengthAt(line, i);
      const starts = runs.get(length);
      if (starts) starts.push(i);
      else runs.set(length, [i]);
      i += length;
    } else {
      i += 1;
    }
  }
  return runs;
}

/** The index of the first sorted value above `limit` (Python's `bisect_right`). */
function firstAbove(sorted: readonly number[], limit: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! <= limit) low = middle + 1;
    else high = middle;
  }
  return low;
}

function codeSpan(raw: string): string {
  let text = raw.replaceAll('\n', ' ');
  if (text.length >= 2 && text.startsWith(' ') && text.endsWith(' ') && trimEndSpaces(text) !== '') {
    text = text.slice(1, -1);
  }
  return `<code>${escapeHtml(text)}</code>`;
}
