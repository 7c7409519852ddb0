import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileTemplate, escapeHtml, joinFragments, loadForumTemplates, Markup, substitute, urlPart } from './templates.ts';

const dir = mkdtempSync(join(tmpdir(), 'templates-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): void => writeFileSync(join(dir, `${name}.html`), text);
write('layout', '<title>$title</title><nav>$nav</nav>\n$content\n');
write('nav_user', '<b>$username</b><i>$csrf</i>\n');
write('nav_guest', 'guest\n');
write('pager', '$previous|$page/$pages|$next\n');
write('item', '<p id="$id">${name}x $$5 $$$name</p>\n\n\n');
const templates = loadForumTemplates(dir);

describe('compileTemplate and substitute', () => {
  it('fill $name and ${name}, keep $$ as a dollar, escape strings and insert Markup as is', () => {
    const template = compileTemplate('$a ${b}c $$d $m', 'x.html');
    expect(substitute(template, { a: `<"'&>`, b: 7, m: new Markup('<br>') })).toBe('&lt;&quot;&#x27;&amp;&gt; 7c $d <br>');
  });

  it('refuses a $ that starts no placeholder, as Python would on every render', () => {
    expect(() => compileTemplate('costs $5', 'x.html')).toThrow(/x\.html: a "\$" at offset 6/);
    expect(() => compileTemplate('${not closed', 'x.html')).toThrow(/offset 0/);
  });

  it('refuses to render without a value for a placeholder, naming it', () => {
    expect(() => substitute(compileTemplate('$gone', 'x.html'), {})).toThrow('x.html needs a value for $gone');
  });
});

describe('loadForumTemplates', () => {
  it('renders a fragment with its trailing newlines stripped', () => {
    expect(templates.fragment('item', { id: 3, name: 'a&b' }).html).toBe('<p id="3">a&amp;bx $5 $a&amp;b</p>');
  });

  it('renders a page for a guest and for a user, with one newline at the end', () => {
    expect(templates.page('T<', new Markup('<main>'), null, '')).toBe('<title>T&lt;</title><nav>guest</nav>\n<main>\n');
    expect(templates.page('T', new Markup(''), { username: 'a"b' }, 'c&')).toBe('<title>T</title><nav><b>a&quot;b</b><i>c&amp;</i></nav>\n');
  });

  it('links the pager to newer and older pages only where they exist, escaping the base URL', () => {
    expect(templates.pager('/t/1', 1, 1).html).toBe('|1/1|');
    expect(templates.pager('/b/a&b', 2, 3).html).toBe('<a rel="prev" href="/b/a&amp;b?page=1">‹ Newer</a>|2/3|<a rel="next" href="/b/a&amp;b?page=3">Older ›</a>');
  });

  it('names a template that does not exist', () => {
    expect(() => templates.fragment('nothing')).toThrow(/no template nothing\.html/);
  });
});

describe('helpers', () => {
  it("urlPart quotes like Python's quote(text, safe='')", () => {
    expect(urlPart(`café /?#&!'()*~._-`)).toBe('caf%C3%A9%20%2F%3F%23%26%21%27%28%29%2A~._-');
  });
  it('joinFragments joins with newlines', () => expect(joinFragments([new Markup('a'), new Markup('b')]).html).toBe('a\nb'));
  it('escapeHtml escapes like Python html.escape', () => expect(escapeHtml(`<&>"'`)).toBe('&lt;&amp;&gt;&quot;&#x27;'));
});
