/**
 * The forum's Markdown renderer, a byte-identical port of `legacy-python/forum/markdown.py` (whose
 * docstring is the grammar).
 */
import { parseBlocks } from './blocks.ts';

/**
 * Markdown source to safe HTML: every input character reaches the output escaped or as part of a tag
 * the grammar writes, and links only ever point to http, https or mailto.
 *
 * @example
 * renderMarkdown('*hi* <b>'); // '<p><em>hi</em> &lt;b&gt;</p>'
 */
export function renderMarkdown(source: string): string {
  const text = source.replaceAll('\r\n', '\n').replaceAll('\r', '\n').replaceAll('\t', '    ');
  return parseBlocks(text.split('\n'), 0).join('\n');
}
