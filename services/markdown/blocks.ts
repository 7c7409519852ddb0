/**
 * The block grammar: blank lines, fenced and indented code, headings, blockquotes, lists and
 * paragraphs. Quotes and lists stop nesting at MAX_DEPTH, so hostile input (`>>>>…`) cannot recurse
 * without bound.
 */
import { renderInline } from './inline.ts';
import { FENCE_CLOSE, FENCE_OPEN, HEADING, ITEM, QUOTE, QUOTE_PREFIX } from './syntax.ts';
import { escapeHtml, indentOf, isBlank, trimStartSpaces } from './text.ts';

const MAX_DEPTH = 8;

/**
 * Parse lines top-down into HTML blocks at a nesting depth (0 for a document).
 *
 * @example
 * parseBlocks(['# Hi', '', 'text'], 0); // ['<h1>Hi</h1>', '<p>text</p>']
 */
export function parseBlocks(lines: readonly string[], depth: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = FENCE_OPEN.exec(line);
    const heading = fence ? null : HEADING.exec(line);
    if (isBlank(line)) {
      i += 1;
    } else if (fence) {
      i = fenced(lines, i, fence[1]!, out);
    } else if (indentOf(line) >= 4) {
      i = indented(lines, i, out);
    } else if (heading) {
      const level = heading[1]!.length;
      out.push(`<h${level}>${renderInline([heading[2]!])}</h${level}>`);
      i += 1;
    } else if (depth < MAX_DEPTH && QUOTE.test(line)) {
      i = blockquote(lines, i, depth, out);
    } else if (depth < MAX_DEPTH && ITEM.test(line)) {
      i = list(lines, i, depth, out);
    } else {
      i = paragraph(lines, i, depth, out);
    }
  }
  return out;
}

function codeHtml(contentLines: readonly string[], language = ''): string {
  const attribute = language ? ` class="language-${language}"` : '';
  return `<pre><code${attribute}>${contentLines.map((line) => `${escapeHtml(line)}\n`).join('')}</code></pre>`;
}

function fenced(lines: readonly string[], i: number, language: string, out: string[]): number {
  let end = i + 1;
  while (end < lines.length && !FENCE_CLOSE.test(lines[end]!)) end += 1;
  out.push(codeHtml(lines.slice(i + 1, end), language));
  return end + 1;
}

function indented(lines: readonly string[], i: number, out: string[]): number {
  let end = i;
  while (end < lines.length && (isBlank(lines[end]!) || indentOf(lines[end]!) >= 4)) end += 1;
  let last = end;
  while (isBlank(lines[last - 1]!)) last -= 1;
  out.push(codeHtml(lines.slice(i, last).map((line) => line.slice(Math.min(4, indentOf(line))))));
  return end;
}

function blockquote(lines: readonly string[], i: number, depth: number, out: string[]): number {
  let end = i;
  while (end < lines.length && QUOTE.test(lines[end]!)) end += 1;
  const inner = parseBlocks(
    lines.slice(i, end).map((line) => line.replace(QUOTE_PREFIX, '')),
    depth + 1,
  );
  out.push(`<blockquote>\n${inner.map((block) => `${block}\n`).join('')}</blockquote>`);
  return end;
}

const isOrdered = (marker: string): boolean => marker[0]! >= '0' && marker[0]! <= '9';

function list(lines: readonly string[], start: number, depth: number, out: string[]): number {
  const first = ITEM.exec(lines[start]!)!;
  const base = first[1]!.length;
  const ordered = isOrdered(first[2]!);
  const items: string[] = [];
  let i = start;
  for (;;) {
    const item = ITEM.exec(lines[i]!)!;
    const contentColumn = base + item[2]!.length + 1;
    const content = [item[3]!];
    i += 1;
    while (i < lines.length) {
      const line = lines[i]!;
      if (isBlank(line)) {
        const following = nextNonBlank(lines, i);
        if (following === lines.length || indentOf(lines[following]!) < base + 2) break;
        for (; i < following; i++) content.push('');
      } else if (indentOf(line) >= base + 2) {
        content.push(line.slice(Math.min(indentOf(line), contentColumn)));
        i += 1;
      } else {
        break;
      }
    }
    items.push(itemHtml(content, depth + 1));
    const following = nextNonBlank(lines, i);
    const sibling = following < lines.length ? ITEM.exec(lines[following]!) : null;
    if (!sibling || indentOf(lines[following]!) >= base + 2 || isOrdered(sibling[2]!) !== ordered) break;
    i = following;
  }
  const tag = ordered ? 'ol' : 'ul';
  // Python's int() of the digits: leading zeros go ("007." starts at 7).
  const startNumber = ordered ? Number.parseInt(first[2]!.slice(0, -1), 10) : 1;
  const opening = startNumber !== 1 ? `<ol start="${startNumber}">` : `<${tag}>`;
  out.push(`${opening}\n${items.join('\n')}\n</${tag}>`);
  return i;
}

function nextNonBlank(lines: readonly string[], start: number): number {
  let i = start;
  while (i < lines.length && isBlank(lines[i]!)) i += 1;
  return i;
}

/** An item's blocks; a paragraph that comes first is written without its <p></p>. */
function itemHtml(content: readonly string[], depth: number): string {
  const blocks = parseBlocks(content, depth);
  if (blocks[0]?.startsWith('<p>')) blocks[0] = blocks[0].slice(3, -4);
  return `<li>${blocks.join('\n')}</li>`;
}

function startsBlock(line: string, depth: number): boolean {
  if (FENCE_OPEN.test(line) || HEADING.test(line)) return true;
  return depth < MAX_DEPTH && (QUOTE.test(line) || ITEM.test(line));
}

function paragraph(lines: readonly string[], i: number, depth: number, out: string[]): number {
  let end = i + 1;
  while (end < lines.length && !isBlank(lines[end]!) && !startsBlock(lines[end]!, depth)) end += 1;
  out.push(`<p>${renderInline(lines.slice(i, end).map(trimStartSpaces))}</p>`);
  return end;
}
