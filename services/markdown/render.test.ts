import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './render.ts';

describe('renderMarkdown input', () => {
  it('renders empty and blank input as an empty string', () => {
    expect(renderMarkdown('')).toBe('');
    expect(renderMarkdown(' \n\t\n\r\n')).toBe('');
  });

  it('turns CRLF and CR into newlines and each tab into four spaces', () => {
    expect(renderMarkdown('a\r\nb\rc')).toBe('<p>a\nb\nc</p>');
    expect(renderMarkdown('\tcode')).toBe('<pre><code>code\n</code></pre>');
  });

  it('escapes & < > " and \' and never decodes entities', () => {
    expect(renderMarkdown(`&lt; <b> "q" 'a'`)).toBe('<p>&amp;lt; &lt;b&gt; &quot;q&quot; &#x27;a&#x27;</p>');
  });

  it('treats a line of no-break spaces as text, since only spaces make a line blank', () => {
    expect(renderMarkdown('\u00a0')).toBe('<p>\u00a0</p>');
  });

  it('keeps U+2028 inside its line, as Python splits on "\\n" only', () => {
    expect(renderMarkdown('a\u2028b\n# c\u2028d')).toBe('<p>a\u2028b</p>\n<h1>c\u2028d</h1>');
  });
});

describe('renderMarkdown blocks', () => {
  it('separates paragraphs at blank lines and keeps soft breaks', () => {
    expect(renderMarkdown('one\n  two\n\n\nthree')).toBe('<p>one\ntwo</p>\n<p>three</p>');
  });

  it('writes fenced code verbatim and escaped, with an optional language class', () => {
    expect(renderMarkdown('```js\nif (a < b) { *x* }\n\n```')).toBe('<pre><code class="language-js">if (a &lt; b) { *x* }\n\n</code></pre>');
  });

  it('runs an unterminated fence to the end of the input', () => {
    expect(renderMarkdown('```\nopen\n# to the end')).toBe('<pre><code>open\n# to the end\n</code></pre>');
  });

  it('does not open a fence whose language holds other characters', () => {
    expect(renderMarkdown('```js" onclick="x\ncode\n```')).toBe('<p>```js&quot; onclick=&quot;x\ncode</p>\n<pre><code></code></pre>');
  });

  it('drops four spaces and trailing blank lines from indented code', () => {
    expect(renderMarkdown('    a\n      b\n\n    c\n\n\ntext')).toBe('<pre><code>a\n  b\n\nc\n</code></pre>\n<p>text</p>');
  });

  it('lets indentation continue a paragraph instead of starting code', () => {
    expect(renderMarkdown('text\n    more')).toBe('<p>text\nmore</p>');
  });

  it('writes headings one to six only when a space follows the hashes', () => {
    expect(renderMarkdown('# One\n###### Six  ')).toBe('<h1>One</h1>\n<h6>Six</h6>');
    expect(renderMarkdown('#no\n####### seven')).toBe('<p>#no\n####### seven</p>');
  });

  it('ends heading text at a non-space as Python reads \\S: U+00A0 and U+001C are space, U+FEFF is not', () => {
    expect(renderMarkdown('# a\u00a0')).toBe('<p># a\u00a0</p>');
    expect(renderMarkdown('# a\x1c')).toBe('<p># a\x1c</p>');
    expect(renderMarkdown('# a\ufeff')).toBe('<h1>a\ufeff</h1>');
  });

  it('lets a heading interrupt a paragraph', () => {
    expect(renderMarkdown('para\n# Title')).toBe('<p>para</p>\n<h1>Title</h1>');
  });

  it('nests blockquotes and parses blocks inside them', () => {
    expect(renderMarkdown('> # Title\n> text\n>> inner')).toBe('<blockquote>\n<h1>Title</h1>\n<p>text</p>\n<blockquote>\n<p>inner</p>\n</blockquote>\n</blockquote>');
  });

  it('ends a blockquote at the first line without a marker', () => {
    expect(renderMarkdown('> a\nlazy')).toBe('<blockquote>\n<p>a</p>\n</blockquote>\n<p>lazy</p>');
  });

  it('writes an empty blockquote as a bare pair of tags', () => {
    expect(renderMarkdown('>')).toBe('<blockquote>\n</blockquote>');
  });

  it('stops nesting blockquotes at eight levels', () => {
    const html = renderMarkdown(`${'>'.repeat(20)} deep`);
    expect(html.split('<blockquote>').length - 1).toBe(8);
    expect(html).toContain(`<p>${'&gt;'.repeat(12)} deep</p>`);
  });

  it('nests unordered lists by indentation', () => {
    expect(renderMarkdown('- a\n- b\n  - c\n    - d\n- e')).toBe('<ul>\n<li>a</li>\n<li>b\n<ul>\n<li>c\n<ul>\n<li>d</li>\n</ul></li>\n</ul></li>\n<li>e</li>\n</ul>');
  });

  it('keeps an ordered list start number other than one, without leading zeros', () => {
    expect(renderMarkdown('1. a\n2. b')).toBe('<ol>\n<li>a</li>\n<li>b</li>\n</ol>');
    expect(renderMarkdown('07. a\n8. b')).toBe('<ol start="7">\n<li>a</li>\n<li>b</li>\n</ol>');
    expect(renderMarkdown('0. a')).toBe('<ol start="0">\n<li>a</li>\n</ol>');
  });

  it('starts a new list when the marker kind changes', () => {
    expect(renderMarkdown('- a\n1. b')).toBe('<ul>\n<li>a</li>\n</ul>\n<ol>\n<li>b</li>\n</ol>');
  });

  it('lets list items hold later paragraphs and code after blank lines', () => {
    expect(renderMarkdown('- a\n\n  b\n\n      code\n- c')).toBe('<ul>\n<li>a\n<p>b</p>\n<pre><code>code\n</code></pre></li>\n<li>c</li>\n</ul>');
  });

  it('lets a list interrupt a paragraph and ends it at an unindented line', () => {
    expect(renderMarkdown('intro\n- a\nafter')).toBe('<p>intro</p>\n<ul>\n<li>a</li>\n</ul>\n<p>after</p>');
  });

  it('stops nesting lists at eight levels', () => {
    const html = renderMarkdown(`${'- '.repeat(12)}x`);
    expect(html.split('<ul>').length - 1).toBe(8);
    expect(html).toContain('<li>- - - - x</li>');
  });

  it('needs an item text that starts with a non-space as Python reads \\S', () => {
    expect(renderMarkdown('- \x1cx')).toBe('<p>- \x1cx</p>');
    expect(renderMarkdown('- \ufeffx')).toBe('<ul>\n<li>\ufeffx</li>\n</ul>');
  });
});

describe('renderMarkdown inline', () => {
  it('makes a hard break of two trailing spaces or a backslash, except on the last line', () => {
    expect(renderMarkdown('a  \nb\\\nc\\')).toBe('<p>a<br>\nb<br>\nc\\</p>');
  });

  it('writes emphasis, strong and their nesting', () => {
    expect(renderMarkdown('*em* **strong** *a **b** c*')).toBe('<p><em>em</em> <strong>strong</strong> <em>a <strong>b</strong> c</em></p>');
  });

  it('leaves asterisks next to spaces, unmatched or in runs of three literal', () => {
    expect(renderMarkdown('a * b * c')).toBe('<p>a * b * c</p>');
    expect(renderMarkdown('*open and **never closed')).toBe('<p>*open and **never closed</p>');
    expect(renderMarkdown('***three***')).toBe('<p>***three***</p>');
  });

  it('drops openers of the other length inside a pair, leaving them literal', () => {
    expect(renderMarkdown('**a *b** c*')).toBe('<p><strong>a *b</strong> c*</p>');
  });

  it('writes code spans escaped, trimming one space from each side', () => {
    expect(renderMarkdown('`<b>*x*</b>`')).toBe('<p><code>&lt;b&gt;*x*&lt;/b&gt;</code></p>');
    expect(renderMarkdown('`` a ` b ``')).toBe('<p><code>a ` b</code></p>');
    expect(renderMarkdown('`unclosed')).toBe('<p>`unclosed</p>');
  });

  it('makes ASCII punctuation after a backslash literal and keeps other backslashes', () => {
    expect(renderMarkdown('\\*not\\* \\[x\\](http://a) \\q')).toBe('<p>*not* [x](http://a) \\q</p>');
  });

  it('links only to http, https and mailto', () => {
    expect(renderMarkdown('[site](https://example.com/a?b=1&c=2)')).toBe('<p><a href="https://example.com/a?b=1&amp;c=2">site</a></p>');
    expect(renderMarkdown('[mail](MAILTO:me@example.com)')).toBe('<p><a href="MAILTO:me@example.com">mail</a></p>');
    expect(renderMarkdown('[x](JaVaScRiPt:alert(1))')).toBe('<p>[x](JaVaScRiPt:alert(1))</p>');
  });

  it('gives link text its own emphasis pass and lets it hold an autolink', () => {
    expect(renderMarkdown('[*a* <https://b>](http://c)')).toBe('<p><a href="http://c"><em>a</em> <a href="https://b">https://b</a></a></p>');
  });

  it('autolinks http, https and mailto in any case and escapes anything else', () => {
    expect(renderMarkdown('<HTTPS://example.com/x>')).toBe('<p><a href="HTTPS://example.com/x">HTTPS://example.com/x</a></p>');
    expect(renderMarkdown('<javascript:alert(1)>')).toBe('<p>&lt;javascript:alert(1)&gt;</p>');
  });

  it('folds autolink letters as Python re.IGNORECASE does (ſ for s, ı for i, K for k)', () => {
    expect(renderMarkdown('<httpſ://a>')).toBe('<p><a href="httpſ://a">httpſ://a</a></p>');
    expect(renderMarkdown('<maılto:a>')).toBe('<p><a href="maılto:a">maılto:a</a></p>');
    expect(renderMarkdown('<http://\u212a>')).toBe('<p><a href="http://\u212a">http://\u212a</a></p>');
  });

  it('treats an astral character as one character, as Python does', () => {
    expect(renderMarkdown('*😀* `😀` [😀](http://a)')).toBe('<p><em>😀</em> <code>😀</code> <a href="http://a">😀</a></p>');
  });
});
