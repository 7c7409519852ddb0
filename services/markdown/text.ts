/**
 * Character-level helpers shared by the block and inline passes: HTML escaping and the space-only
 * trimming and indentation the grammar uses (it never trims other whitespace).
 *
 * @example
 * escapeHtml(`<a href="x">'`); // '&lt;a href=&quot;x&quot;&gt;&#x27;'
 */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };
const ESCAPED = /[&<>"']/g;

/** `esc()` of the grammar: & < > " ' become &amp; &lt; &gt; &quot; &#x27;. */
export function escapeHtml(text: string): string {
  return text.replace(ESCAPED, (char) => ESCAPES[char]!);
}

/**
 * The number of leading spaces (U+0020 only).
 *
 * @example
 * indentOf('   - x'); // 3
 */
export function indentOf(line: string): number {
  let count = 0;
  while (line.charCodeAt(count) === 0x20) count += 1;
  return count;
}

/**
 * Whether a line is empty or only spaces: tabs are already spaces, and other whitespace (U+00A0, U+3000)
 * makes a line non-blank, as Python's `line.strip(" ")` does.
 *
 * @example
 * isBlank('   '); // true
 * isBlank('\u00a0'); // false
 */
export function isBlank(line: string): boolean {
  return indentOf(line) === line.length;
}

/**
 * Python's `line.lstrip(" ")`.
 *
 * @example
 * trimStartSpaces('  a '); // 'a '
 */
export function trimStartSpaces(line: string): string {
  return line.slice(indentOf(line));
}

/**
 * Python's `line.rstrip(" ")`, written as a loop because `/ +$/` backtracks quadratically on long runs
 * of spaces that do not end the line.
 *
 * @example
 * trimEndSpaces(' a  '); // ' a'
 */
export function trimEndSpaces(line: string): string {
  let end = line.length;
  while (end > 0 && line.charCodeAt(end - 1) === 0x20) end -= 1;
  return line.slice(0, end);
}
