/**
 * Named Markdown sources for the parity suite: every one is rendered by the legacy Python renderer and
 * by the TypeScript port, which must agree byte for byte, and every output must pass the safety check.
 * Hostile input comes first; the rest walks the grammar and the places where JavaScript and Python
 * read text differently (code points, whitespace sets, case folding, line separators).
 *
 * @example
 * for (const { name, source } of MARKDOWN_CORPUS) console.log(name, renderMarkdown(source));
 */

export interface MarkdownSample {
  readonly name: string;
  readonly source: string;
}

const INJECTION: readonly MarkdownSample[] = [
  { name: 'script tag', source: '<script>alert(1)</script>' },
  { name: 'script tag in upper case with a src', source: '<SCRIPT SRC=//evil.example/x.js></SCRIPT>' },
  { name: 'img onerror', source: '<img src=x onerror=alert(1)>' },
  { name: 'img onerror inside emphasis', source: '*<img src=x onerror="alert(1)">*' },
  { name: 'svg onload', source: '<svg onload=alert(1)>' },
  { name: 'svg with a nested script', source: '<svg><script>alert(1)</script></svg>' },
  { name: 'iframe srcdoc', source: '<iframe srcdoc="<script>alert(1)</script>"></iframe>' },
  { name: 'event handler with quotes', source: `<div onmouseover="alert('x')">hover</div>` },
  { name: 'body onload in a heading', source: '# <body onload=alert(1)>' },
  { name: 'script in a blockquote', source: '> <script>alert(1)</script>' },
  { name: 'svg in a list item', source: '- <svg onload=alert(1)>' },
  { name: 'style tag in a heading', source: '# <style>body{display:none}</style>' },
  { name: 'noscript mutation XSS', source: '<noscript><p title="</noscript><img src=x onerror=alert(1)>">' },
  { name: 'named entities stay escaped', source: '&lt;script&gt;alert(1)&lt;/script&gt;' },
  { name: 'hex entity script', source: '&#x3C;script&#x3E;alert(1)&#x3C;/script&#x3E;' },
  { name: 'decimal entity script', source: '&#60;script&#62;alert(1)&#60;/script&#62;' },
  { name: 'entities without semicolons', source: '&#x3Cscript&#x3E alert(1) &lt &amp' },
  { name: 'backslash before a tag', source: '\\<script>alert(1)\\</script>' },
  { name: 'script closing a code span', source: '`</code><script>alert(1)</script>`' },
  { name: 'script closing a fence', source: '```\n</code></pre><script>alert(1)</script>\n```' },
  { name: 'fence language breaking out of class', source: '```js" onclick="x\ncode\n```' },
  { name: 'link URL breaking out of href', source: '[x](http://a" onmouseover="alert(1))' },
  { name: 'link URL closing its tag', source: '[x](https://a.b/"><script>alert(1)</script>)' },
  { name: 'autolink breaking out of href', source: '<https://a.b/"onmouseover="alert(1)>' },
  { name: 'html comment and CDATA', source: '<!-- <script>alert(1)</script> --> <![CDATA[<script>]]>' },
  { name: 'raw anchor with a javascript href', source: '<a href="javascript:alert(1)">click</a>' },
  { name: 'template and attribute quotes', source: `"double" 'single' \`tick\` \${x} {{y}}` },
];

const SCHEMES: readonly MarkdownSample[] = [
  { name: 'link to javascript', source: '[x](javascript:alert(1))' },
  { name: 'link to JaVaScRiPt', source: '[x](JaVaScRiPt:alert(1))' },
  { name: 'link to data', source: '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)' },
  { name: 'link to vbscript', source: '[x](vbscript:msgbox(1))' },
  { name: 'link to entity-encoded javascript', source: '[x](&#106;avascript:alert(1)) [y](javascript&#58;alert(1))' },
  { name: 'link to percent-encoded javascript', source: '[x](javascript%3Aalert(1))' },
  { name: 'link to javascript after a space', source: '[x]( javascript:alert(1))' },
  { name: 'link to javascript split by a tab', source: '[x](java\tscript:alert(1))' },
  { name: 'link to javascript split by a newline', source: '[x](java\nscript:alert(1))' },
  { name: 'link to javascript split by NUL', source: '[x](java\0script:alert(1))' },
  { name: 'link to javascript after a control character', source: '[x](\x01javascript:alert(1))' },
  { name: 'link to http then javascript', source: '[x](http://a)(javascript:alert(1))' },
  { name: 'link to an http host named javascript', source: '[x](http://javascript:alert(1)@evil.example)' },
  { name: 'link to mailto javascript', source: '[x](mailto:javascript:alert(1))' },
  { name: 'link to http without slashes', source: '[x](http:javascript:alert(1)) [y](https:/evil.example)' },
  { name: 'link to scheme-relative and relative URLs', source: '[x](//evil.example) [y](/relative) [z](#top)' },
  { name: 'link to upper-case HTTPS', source: '[x](HTTPS://EXAMPLE.COM/A)' },
  { name: 'link with an entity in its URL', source: '[x](http://a&#x3C;b&amp;c)' },
  { name: 'link to http with a long s', source: '[x](httpſ://evil.example)' },
  { name: 'autolink to javascript', source: '<javascript:alert(1)>' },
  { name: 'autolink to JaVaScRiPt', source: '<JaVaScRiPt:alert(1)>' },
  { name: 'autolink to data', source: '<data:text/html,<script>alert(1)</script>>' },
  { name: 'autolink to vbscript', source: '<vbscript:msgbox(1)>' },
  { name: 'autolink to entity-encoded javascript', source: '<&#x6A;avascript:alert(1)> <javascript&#58;alert(1)>' },
  { name: 'autolink after a space', source: '< http://example.com>' },
  { name: 'autolink with a space inside', source: '<http://a b>' },
  { name: 'autolink with control characters', source: '<http://a\x01b> <http://a\0> <http://a\x7f>' },
  { name: 'autolink to upper-case HTTPS', source: '<HTTPS://EXAMPLE.COM/X?A=1&B=2>' },
  { name: 'autolink to mailto with a query', source: '<MAILTO:me@example.com?subject=hi&body=x%20y>' },
  { name: 'autolink without anything after the scheme', source: '<http://> <mailto:>' },
  { name: 'autolink scheme spelled with a long s', source: '<httpſ://evil.example>' },
  { name: 'autolink scheme spelled with dotless and dotted i', source: '<maılto:x@y> <maİlto:x@y>' },
  { name: 'autolink with a Kelvin sign and long s in its path', source: '<http://\u212aelvin.example/ſ>' },
];

const RAW_HTML: readonly MarkdownSample[] = [
  { name: 'html block', source: '<div>\n<p>hi</p>\n</div>' },
  { name: 'inline tags', source: 'a <b>bold</b> <i>x</i> <br/> </p><p>' },
  { name: 'doctype and processing instruction', source: '<!DOCTYPE html>\n<?xml version="1.0"?>' },
  { name: 'raw anchor with an http href', source: '<a href=http://ok.example>ok</a>' },
  { name: 'lone angle brackets', source: 'a < b > c <<>> <' },
];

const LISTS: readonly MarkdownSample[] = [
  { name: 'unordered list', source: '- a\n- b\n- c' },
  { name: 'unordered list with mixed markers', source: '- a\n+ b\n* c' },
  { name: 'ordered list', source: '1. a\n2. b' },
  { name: 'ordered list starting at seven with leading zeros', source: '07. a\n8. b' },
  { name: 'ordered list starting at zero', source: '0. zero\n1. one' },
  { name: 'ordered list with nine digits', source: '999999999. big' },
  { name: 'ten digits are not a list', source: '1234567890. too big' },
  { name: 'unordered list in an ordered list', source: '1. a\n   - b\n   - c\n2. d' },
  { name: 'ordered list in an unordered list', source: '- a\n  1. b\n  2. c\n- d' },
  { name: 'nested list by indentation', source: '- a\n- b\n  - c\n    - d\n- e' },
  { name: 'list nested past depth eight on one line', source: '- '.repeat(12) + 'x' },
  {
    name: 'list nested past depth eight by indentation',
    source: Array.from({ length: 12 }, (_, level) => `${'  '.repeat(level)}- level ${level}`).join('\n'),
  },
  { name: 'list items separated by blank lines', source: '- a\n\n\n- b' },
  { name: 'list item with a paragraph and code', source: '- a\n\n  b\n\n      code\n- c' },
  { name: 'list interrupting a paragraph', source: 'intro\n- a\nafter' },
  { name: 'list of another kind starts a new list', source: '- a\n1. b\n- c' },
  { name: 'list with three-space items', source: '   - a\n     b\n   - c' },
  { name: 'list item continuation deeper than its marker', source: '10. a\n      b\n  c' },
  { name: 'marker without a space is text', source: '-a\n1.b\n+' },
  { name: 'marker followed by a tab', source: '-\ta\n1.\tb' },
  { name: 'marker followed by a no-break space', source: '-\u00a0a\n- \u00a0b' },
  { name: 'marker followed by an information separator', source: '- \x1cx\n- \x1fy' },
  { name: 'marker followed by a byte order mark', source: '- \ufeffx' },
  { name: 'list item holding a blockquote', source: '1. > q\n   > r' },
  { name: 'list item holding a fence', source: '- a\n  ```py\n  x = 1\n  ```\n- b' },
  { name: 'many list items', source: Array.from({ length: 300 }, (_, n) => `${n + 1}. item ${n}`).join('\n') },
];

const CODE: readonly MarkdownSample[] = [
  { name: 'fence without language', source: '```\nif (a < b) { *x* }\n```' },
  { name: 'fence with language', source: '```js\nconst a = "<b>";\n\n```' },
  { name: 'fence with c++ language', source: '```c++\nint main() {}\n```' },
  { name: 'unterminated fence', source: '```\nopen to the end\n\n# not a heading' },
  { name: 'fence closed with trailing spaces', source: '```\ncode\n```   \nafter' },
  { name: 'fence not closed by an indented fence', source: '```\ncode\n    ```\nstill code' },
  { name: 'four backticks are not a fence', source: '````\ncode\n````' },
  { name: 'fence with a tab inside', source: '```\n\tindented\n```' },
  { name: 'indented code', source: '    a\n      b\n\n    c\n\n\ntext' },
  { name: 'indented code from tabs', source: '\tcode\n\t\tdeeper' },
  { name: 'indentation does not interrupt a paragraph', source: 'text\n    more' },
  { name: 'code span with backtick runs', source: '`` a ` b `` and ``` x ``` and `unclosed' },
  { name: 'code span of only spaces', source: '`  ` and ` a ` and `a `' },
  { name: 'code span after an escaped backtick', source: '\\``code` and \\`x`' },
  { name: 'code span with a tab', source: '`a\tb`' },
];

const QUOTES: readonly MarkdownSample[] = [
  { name: 'blockquote', source: '> quoted\n> text' },
  { name: 'nested blockquote', source: '> # Title\n> text\n>> inner\n> > > third' },
  { name: 'blockquote ended by a lazy line', source: '> a\nlazy\n> b' },
  { name: 'blockquote nested past depth eight', source: '>'.repeat(20) + ' deep' },
  { name: 'empty blockquote', source: '>\n\n> \n>' },
  { name: 'blockquote holding a list', source: '> - a\n> - b\nlazy' },
  { name: 'indented quote marker is code', source: '    > not a quote' },
  { name: 'blockquote interrupting a paragraph', source: 'para\n> quote' },
];

const HEADINGS: readonly MarkdownSample[] = [
  { name: 'headings one to six', source: '# One\n## Two\n### Three\n#### Four\n##### Five\n###### Six' },
  { name: 'seven hashes and no space', source: '####### seven\n#no' },
  { name: 'heading with trailing hashes and spaces', source: '# a # \n## b ##   ' },
  { name: 'heading of only a hash', source: '# #\n#\n# ' },
  { name: 'heading ending in a no-break space', source: '# a\u00a0' },
  { name: 'heading ending in an information separator', source: '# a\x1c' },
  { name: 'heading ending in a byte order mark', source: '# a\ufeff' },
  { name: 'heading ending in a next-line character', source: '# a\x85' },
  { name: 'heading after a byte order mark', source: '\ufeff# Title' },
  { name: 'heading with three and four spaces of indent', source: '   # three\n    # four' },
  { name: 'heading interrupting a paragraph', source: 'para\n# Title\nmore' },
  { name: 'heading with emphasis and a link', source: '## *a* **b** [c](http://d)' },
];

const EMPHASIS: readonly MarkdownSample[] = [
  { name: 'emphasis and strong', source: '*em* **strong** *a **b** c*' },
  { name: 'three asterisks are literal', source: '***three*** ****four****' },
  { name: 'asterisks next to spaces', source: 'a * b * c ** d **' },
  { name: 'unmatched asterisks', source: '*open and **never closed' },
  { name: 'intraword emphasis', source: 'a*b*c a**b**c' },
  { name: 'emphasis across lines', source: '*one\ntwo*' },
  { name: 'emphasis across a hard break', source: '*one  \ntwo*' },
  { name: 'underscores are text', source: '_a_ __b__' },
  { name: 'escaped asterisks', source: '\\*not\\* \\*\\*x\\*\\*' },
  { name: 'crossed strong and emphasis', source: '**a *b** c*' },
  { name: 'crossed emphasis and strong', source: '*a **b* c**' },
  { name: 'emphasis around a link', source: '*[x](http://a)* **[y](http://b)**' },
  { name: 'emphasis around a code span', source: '*`code`* **`x`**' },
  { name: 'emphasis split by a link', source: '*a [b*](http://c) d*' },
  { name: 'emphasis around astral characters', source: '*😀* **👍🏽**' },
];

const BREAKS: readonly MarkdownSample[] = [
  { name: 'backslash hard break', source: 'a\\\nb' },
  { name: 'two-space hard break', source: 'a  \nb' },
  { name: 'three-space hard break', source: 'a   \nb' },
  { name: 'last line keeps its backslash', source: 'a\nb\\' },
  { name: 'last line loses its trailing spaces', source: 'a\nb   ' },
  { name: 'double backslash before a newline', source: 'a\\\\\nb' },
  { name: 'backslash then spaces', source: 'a \\  \nb' },
  { name: 'backslash before a non-punctuation character', source: 'a \\q \\é \\😀' },
];

const LINKS: readonly MarkdownSample[] = [
  { name: 'link', source: '[site](https://example.com/a?b=1&c=2)' },
  { name: 'mailto link', source: '[mail](mailto:me@example.com)' },
  { name: 'link text with brackets', source: '[a [b] c](http://x) [[x]](http://y)' },
  { name: 'link URL with parentheses', source: '[a](http://a/(b)) [c](http://c/d))' },
  { name: 'link with empty text or URL', source: '[](http://a) [a]()' },
  { name: 'link URL with a space', source: '[a](http://a b)' },
  { name: 'link text with emphasis and an autolink', source: '[*a* <https://b>](http://c)' },
  { name: 'link followed by text', source: '[a](http://b)c [d](http://e).' },
  { name: 'space between text and URL', source: '[a] (http://x)' },
  { name: 'escaped brackets', source: '\\[x\\](http://a) [y\\](http://b)' },
  { name: 'image syntax', source: '![alt](http://x/y.png)' },
  { name: 'reference-style links are text', source: '[a][b]\n\n[b]: http://c' },
  { name: 'link across lines', source: '[a\nb](http://c)' },
  { name: 'autolinks', source: '<http://a.b/c?d=e&f=g#h> <https://x> <mailto:me@example.com>' },
  { name: 'bare URLs are text', source: 'http://example.com www.example.com' },
];

const TEXT: readonly MarkdownSample[] = [
  { name: 'accents', source: 'Ünïcödé café naïve **façade**' },
  { name: 'combining marks', source: 'e\u0301 *a\u0308* Z\u0351\u0352\u0353' },
  { name: 'CJK', source: '# 日本語\n\n中文 **粗体** 한국어' },
  { name: 'right-to-left text and override', source: 'שלום *עולם* مرحبا\u202eevil\u202c' },
  { name: 'emoji and astral characters', source: '🎉 𝔘𝔫𝔦 𠀀 *🙂* `😀` [😀](http://a)' },
  { name: 'emoji sequences', source: '👨‍👩‍👧 🇫🇷 👍🏽 1️⃣' },
  { name: 'zero-width characters', source: 'a\u200bb\u200cc\u200dd\u2060e *\u200b*' },
  { name: 'NUL and control characters', source: 'a\0b\x01\x02\x07\x08\x1b[31m\x7f' },
  { name: 'vertical tab and form feed', source: 'a\vb\fc\n\v\n\f' },
  { name: 'line and paragraph separators', source: 'a\u2028b\u2029c\n# h\u2028\n- i\u2028x' },
  { name: 'next-line character', source: 'a\x85b\n\x85' },
  { name: 'no-break spaces are not indentation', source: '\u00a0\u00a0\u00a0\u00a0code?\n\u00a0\n\u202fx' },
  { name: 'ideographic space', source: '\u3000\n\u3000text' },
  { name: 'byte order mark', source: '\ufeff\ufeffx' },
  { name: 'lone surrogates', source: 'a\ud83d b \ude00 *\ud83d*' },
  { name: 'private use and noncharacters', source: '\ue000 \uffff \u{10ffff}' },
  { name: 'characters Python folds when ignoring case', source: 'ſ ı İ \u212a µ' },
];

const LINE_ENDINGS: readonly MarkdownSample[] = [
  { name: 'CRLF line endings', source: '# T\r\n\r\npara\r\nline\r\n- a\r\n- b\r\n' },
  { name: 'CR line endings', source: 'a\rb\r\rc' },
  { name: 'mixed line endings', source: 'a\r\nb\rc\nd\r\r\ne' },
  { name: 'CR inside a fence', source: '```\rcode\r```' },
  { name: 'CR before CRLF', source: 'a\r\r\nb' },
];

const EMPTY: readonly MarkdownSample[] = [
  { name: 'empty input', source: '' },
  { name: 'one space', source: ' ' },
  { name: 'only newlines', source: '\n\n\n' },
  { name: 'only a tab', source: '\t' },
  { name: 'spaces, tabs and line endings', source: ' \t \n \r\n\r\t' },
  { name: 'only a no-break space', source: '\u00a0' },
];

const LONG: readonly MarkdownSample[] = [
  { name: 'very long line', source: 'a'.repeat(20_000) },
  { name: 'very long line of emphasis', source: '*a* '.repeat(3_000) },
  { name: 'very long autolink', source: `<http://example.com/${'x'.repeat(5_000)}>` },
  { name: 'very long code span', source: `\`${'<'.repeat(5_000)}\`` },
  { name: 'very long heading', source: `# ${'word '.repeat(2_000)}` },
  { name: 'many unmatched brackets and backticks', source: '[`'.repeat(5_000) },
  { name: 'many spaces then text', source: `${' '.repeat(10_000)}x` },
];

export const MARKDOWN_CORPUS: readonly MarkdownSample[] = [
  ...INJECTION,
  ...SCHEMES,
  ...RAW_HTML,
  ...LISTS,
  ...CODE,
  ...QUOTES,
  ...HEADINGS,
  ...EMPHASIS,
  ...BREAKS,
  ...LINKS,
  ...TEXT,
  ...LINE_ENDINGS,
  ...EMPTY,
  ...LONG,
];
