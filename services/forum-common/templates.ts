/**
 * Legacy's page templates (legacy-python/forum/templates/*.html), rendered the way forum/templates.py
 * renders them, byte for byte: Python `string.Template` placeholders (`$name`, `${name}`, `$$` for a
 * dollar), every value HTML-escaped as `html.escape` does unless it is {@link Markup}, a fragment's
 * trailing newlines stripped, a full page in layout.html followed by one newline.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Legacy's template folder: the TS pages render from the very files legacy does. */
export const LEGACY_TEMPLATES_DIR = fileURLToPath(new URL('../../legacy-python/forum/templates', import.meta.url));

// string.Template's pattern: `$$`, `$identifier`, `${identifier}`, or anything else after `$` (an error).
const PLACEHOLDER = /\$(?:(\$)|([_a-zA-Z][_a-zA-Z0-9]*)|\{([_a-zA-Z][_a-zA-Z0-9]*)\}|())/g;
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };

/** Python's `html.escape(text, quote=True)`. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);

/** HTML that is already safe (rendered fragments, stored body_html): inserted as is. */
export class Markup {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export type TemplateValue = string | number | Markup;
export type TemplateValues = Readonly<Record<string, TemplateValue>>;

/** A template split once into literal text and placeholder names: `parts[0] name[0] parts[1] …`. */
export interface CompiledTemplate {
  readonly file: string;
  readonly texts: readonly string[];
  readonly names: readonly string[];
}

/**
 * Split a template's text at its placeholders. Throws, naming the file and offset, for a `$` that is not
 * a placeholder (Python would raise on every render instead).
 *
 * @example
 * compileTemplate('<p>$a ${b}$$</p>', 'x.html'); // { texts: ['<p>', ' ', '$</p>'], names: ['a', 'b'] }
 */
export function compileTemplate(text: string, file: string): CompiledTemplate {
  const texts: string[] = [];
  const names: string[] = [];
  let literal = '';
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const [, dollar, name, braced] = match;
    literal += text.slice(last, match.index);
    last = match.index + match[0].length;
    if (dollar !== undefined) {
      literal += '$';
    } else if (name !== undefined || braced !== undefined) {
      texts.push(literal);
      names.push((name ?? braced)!);
      literal = '';
    } else {
      throw new Error(`${file}: a "$" at offset ${match.index} starts no placeholder; write "$$" for a dollar sign`);
    }
  }
  texts.push(literal + text.slice(last));
  return { file, texts, names };
}

/**
 * Fill a compiled template: Python `Template.substitute` with each value escaped unless it is Markup.
 * Throws, as substitute does, when a placeholder has no value.
 */
export function substitute(template: CompiledTemplate, values: TemplateValues): string {
  const { texts, names } = template;
  let out = texts[0]!;
  for (let i = 0; i < names.length; i++) {
    const value = values[names[i]!];
    if (value === undefined) throw new Error(`${template.file} needs a value for $${names[i]}`);
    out += (value instanceof Markup ? value.html : escapeHtml(String(value))) + texts[i + 1]!;
  }
  return out;
}

/** Python's `urllib.parse.quote(text, safe="")`: everything but `A-Za-z0-9_.-~` percent-encoded as UTF-8. */
export const urlPart = (text: string): string => encodeURIComponent(text).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);

// A regular expression anchored at the end (/\n+$/) is tried at every newline of a whole page; this looks at the end only.
const withoutTrailingNewlines = (text: string): string => {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 10) end--;
  return end === text.length ? text : text.slice(0, end);
};

/** Fragments joined by newlines, as legacy's `join`. */
export const joinFragments = (fragments: readonly Markup[]): Markup => new Markup(fragments.map((f) => f.html).join('\n'));

/** The signed-in viewer a page's navigation names, or null for a guest. */
export interface PageViewer {
  readonly username: string;
}

export interface ForumTemplates {
  /** templates/<name>.html filled with `values`, trailing newlines stripped: legacy's `fragment`. */
  fragment(name: string, values?: TemplateValues): Markup;
  /** A whole page in layout.html with the viewer's navigation: legacy's `page` (the body's text). */
  page(title: string, content: Markup, viewer: PageViewer | null, csrf: string): string;
  /** The pager fragment with newer/older links: legacy's `pager`. */
  pager(baseUrl: string, page: number, pages: number): Markup;
}

/**
 * Read every template in `dir` once, at start-up.
 *
 * @example
 * const templates = loadForumTemplates('legacy-python/forum/templates');
 * templates.page('Boards', templates.fragment('boards', { rows: new Markup('') }), null, '');
 */
export function loadForumTemplates(dir: string): ForumTemplates {
  const compiled = new Map<string, CompiledTemplate>();
  for (const entry of readdirSync(dir)) {
    if (!entry.endsWith('.html')) continue;
    const file = join(dir, entry);
    compiled.set(entry.slice(0, -'.html'.length), compileTemplate(readFileSync(file, 'utf8'), file));
  }
  const fragment = (name: string, values: TemplateValues = {}): Markup => {
    const template = compiled.get(name);
    if (template === undefined) throw new Error(`there is no template ${name}.html in ${dir}`);
    return new Markup(withoutTrailingNewlines(substitute(template, values)));
  };
  return {
    fragment,
    page(title, content, viewer, csrf) {
      const nav = viewer ? fragment('nav_user', { username: viewer.username, csrf }) : fragment('nav_guest');
      return `${fragment('layout', { title, nav, content }).html}\n`;
    },
    pager(baseUrl, page, pages) {
      const base = escapeHtml(baseUrl);
      const previous = new Markup(page > 1 ? `<a rel="prev" href="${base}?page=${page - 1}">‹ Newer</a>` : '');
      const next = new Markup(page < pages ? `<a rel="next" href="${base}?page=${page + 1}">Older ›</a>` : '');
      return fragment('pager', { previous, page, pages, next });
    },
  };
}
