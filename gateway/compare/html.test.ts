import { describe, expect, it } from 'vitest';
import { compareAnswers } from './index.ts';
import { decodeEntities } from './html-entities.ts';
import { parseHtml } from './html-tree.ts';
import { answer, settings } from './test-helpers.ts';

const compare = (legacy: string, ts: string) => compareAnswers(answer(legacy), answer(ts), settings());

describe('HTML bodies', () => {
  it('are equal when only attribute order, quoting and whitespace between blocks differ', () => {
    const legacy = '<!DOCTYPE html>\n<html>\n  <body>\n    <div class="post  main" id=p1>\n      <p>Hello   world</p>\n    </div>\n  </body>\n</html>\n';
    const ts = "<!doctype html><html><body><div id='p1' class='post main'><p>Hello world</p></div></body></html>";
    expect(compare(legacy, ts)).toMatchObject({ equal: true, differences: [] });
  });

  it('are equal across <br> and <br/>, tag name case, entity forms and comments', () => {
    expect(compare('<P>a<br>b &amp; c &#233;<!-- x --></P>', '<p>a<BR/>b &#38; c &eacute;</p>'.replace('&eacute;', '&#xE9;')).equal).toBe(true);
    expect(compare('<a title="&quot;x&quot;" href="/t?a=1&amp;b=2">l</a>', '<a href="/t?a=1&b=2" title=\'"x"\'>l</a>').equal).toBe(true);
  });

  it('keep whitespace that renders: between inline elements, and inside pre', () => {
    expect(compare('<p><b>a</b> <i>b</i></p>', '<p><b>a</b><i>b</i></p>').equal).toBe(false);
    expect(compare('<pre>a\n  b</pre>', '<pre>a\n b</pre>').equal).toBe(false);
    expect(compare('<p>a&nbsp;</p>', '<p>a</p>').equal).toBe(false);
    expect(compare('<pre>\n  x</pre>', '<pre>  x</pre>').equal).toBe(true);
  });

  it('report a changed text at the path of its element, indexed among siblings of the same name', () => {
    const result = compare('<html><body><div>x</div><div><p>one</p><p>two</p></div></body></html>', '<html><body><div>x</div><div><p>one</p><p>TWO</p></div></body></html>');
    expect(result.differences).toEqual([
      { kind: 'body-html', path: '/html[1]/body[1]/div[2]/p[2]/text()[1]', classKey: 'body-html /html/body/div/p/text()', legacy: '"two"', ts: '"TWO"' },
    ]);
  });

  it('report a changed attribute, an extra element and a replaced element at their paths', () => {
    const result = compare('<ul><li><a href="/a">a</a></li><li>b</li></ul><p>x</p>', '<ul><li><a href="/b">a</a></li><li>b</li><li>c</li></ul><section>x</section>');
    expect(result.differences.map((d) => [d.path, d.legacy, d.ts])).toEqual([
      ['/ul[1]/li[1]/a[1]/@href', '"/a"', '"/b"'],
      ['/ul[1]/li[3]', '(absent)', '<li>'],
      ['/p[1]', '<p>', '<section>'],
    ]);
  });

  it('treat end tags HTML lets a page omit as implied', () => {
    expect(compare('<ul><li>a<li>b</ul><p>x<p>y', '<ul><li>a</li><li>b</li></ul><p>x</p><p>y</p>').equal).toBe(true);
    expect(compare('<table><tr><td>1<td>2<tr><td>3</table>', '<table><tr><td>1</td><td>2</td></tr><tr><td>3</td></tr></table>').equal).toBe(true);
  });

  it('compare script and style text without reading tags inside them', () => {
    expect(compare('<script>if (a < b) { x("</p>") }</script>', '<script>if (a < b) { x("</p>") }</script> ').equal).toBe(true);
    expect(compare('<script>var a = "<b>";</script>', '<script>var a = "<i>";</script>').differences[0]?.path).toBe('/script[1]/text()[1]');
  });

  it('drop stray end tags and survive unclosed tags and a lone <', () => {
    const tree = parseHtml('</div><p>a < b<span>c');
    expect(tree.children).toHaveLength(1);
    expect(compare('</div><p>a < b', '<p>a &lt; b</p>').equal).toBe(true);
  });

  it('decode numeric and named references and leave unknown names as written', () => {
    expect(decodeEntities('&lt;&#60;&#x3C;&bogus;&amp')).toBe('<<<&bogus;&amp');
    expect(decodeEntities('&#0;&#xD800;&constructor;')).toBe('\uFFFD\uFFFD&constructor;');
  });

  it('stay bounded on a page nested far deeper than the depth limit', () => {
    const deep = (leaf: string): string => '<div>'.repeat(40_000) + leaf + '</div>'.repeat(40_000);
    const result = compare(deep('a'), deep('b'));
    expect(result.equal).toBe(false);
    expect(result.differences).toHaveLength(1);
  });
});
