/**
 * HTML tokens built into a normalized tree: void and self-closing elements closed, the end tags HTML
 * lets a page omit (p, li, td ...) implied, stray end tags dropped, whitespace runs collapsed and
 * whitespace at block edges removed (it does not render), attribute order gone (attributes are sorted).
 */
import { tokenize } from './html-tokenize.ts';

export interface HtmlElement {
  readonly type: 'element';
  readonly name: string;
  /** Sorted by name; `class` values with their whitespace collapsed. */
  readonly attrs: readonly (readonly [string, string])[];
  readonly children: HtmlNode[];
}
export interface HtmlText {
  readonly type: 'text';
  text: string;
  /** Inside pre or textarea: whitespace kept as written. */
  readonly preserve: boolean;
}
export type HtmlNode = HtmlElement | HtmlText;

/** Elements nested deeper than this are attached to the deepest allowed one (bounded work on hostile input). */
export const MAX_HTML_DEPTH = 256;

const words = (list: string): ReadonlySet<string> => new Set(list.split(' '));
const VOID = words('area base br col embed hr img input link meta source track wbr');
const PRESERVE = words('pre textarea listing plaintext');
// A start tag of one of these closes an open <p> (HTML Living Standard, "in body" insertion mode).
const CLOSES_P = words(
  'address article aside blockquote details dialog div dl fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr main menu nav ol p pre section table ul',
);
// Whitespace at the edge of these does not render (they are blocks, or not rendered at all).
const BLOCK = new Set([
  ...CLOSES_P,
  ...words('html head body title meta link script style noscript template base li dt dd thead tbody tfoot tr td th caption colgroup col legend br option optgroup select summary'),
]);
const SCOPE = ['html', 'body', 'table', 'td', 'th', 'caption', 'button', 'template', 'object'];
// An open element implicitly closed by a start tag, searched up to the given boundaries.
const IMPLIED: Readonly<Record<string, { closes: readonly string[]; upTo: readonly string[] }>> = {
  li: { closes: ['li'], upTo: ['ul', 'ol', 'menu'] },
  dt: { closes: ['dt', 'dd'], upTo: ['dl'] },
  dd: { closes: ['dt', 'dd'], upTo: ['dl'] },
  option: { closes: ['option'], upTo: ['select', 'datalist', 'optgroup'] },
  optgroup: { closes: ['option', 'optgroup'], upTo: ['select'] },
  tr: { closes: ['tr'], upTo: ['table', 'thead', 'tbody', 'tfoot'] },
  td: { closes: ['td', 'th'], upTo: ['tr', 'table'] },
  th: { closes: ['td', 'th'], upTo: ['tr', 'table'] },
  thead: { closes: ['thead', 'tbody'], upTo: ['table'] },
  tbody: { closes: ['thead', 'tbody'], upTo: ['table'] },
  tfoot: { closes: ['thead', 'tbody'], upTo: ['table'] },
};

/**
 * The normalized tree of an HTML text, under a `#document` root.
 *
 * @example
 * parseHtml('<ul><li>a<li>b</ul>').children[0]; // ul with two li children
 */
export function parseHtml(html: string): HtmlElement {
  const root: HtmlElement = { type: 'element', name: '#document', attrs: [], children: [] };
  const stack: HtmlElement[] = [root];
  const open = new Map<string, number>();
  let preserveDepth = 0;
  const push = (el: HtmlElement): void => {
    stack.push(el);
    open.set(el.name, (open.get(el.name) ?? 0) + 1);
    if (PRESERVE.has(el.name)) preserveDepth++;
  };
  const pop = (): void => {
    const el = stack.pop()!;
    open.set(el.name, (open.get(el.name) ?? 1) - 1);
    if (PRESERVE.has(el.name)) preserveDepth--;
  };
  const popTo = (name: string): void => {
    while (stack.length > 1 && stack[stack.length - 1]!.name !== name) pop();
    if (stack.length > 1) pop();
  };
  const findOpen = (names: readonly string[], upTo: readonly string[]): string | null => {
    if (!names.some((n) => (open.get(n) ?? 0) > 0)) return null;
    for (let i = stack.length - 1; i > 0; i--) {
      const name = stack[i]!.name;
      if (names.includes(name)) return name;
      if (upTo.includes(name)) return null;
    }
    return null;
  };
  tokenize(html, (token) => {
    const top = stack[stack.length - 1]!;
    if (token.type === 'text') {
      const last = top.children[top.children.length - 1];
      if (last?.type === 'text') last.text += token.text;
      else {
        // A newline right after <pre>, <textarea> or <listing> is not part of its content (HTML Living Standard).
        const text = last === undefined && PRESERVE.has(top.name) ? token.text.replace(/^\r?\n/, '') : token.text;
        if (text !== '') top.children.push({ type: 'text', text, preserve: preserveDepth > 0 });
      }
      return;
    }
    if (token.type === 'end') {
      if ((open.get(token.name) ?? 0) > 0) popTo(token.name); // else a stray end tag: browsers drop it
      return;
    }
    const { name } = token;
    const implied = Object.hasOwn(IMPLIED, name) ? IMPLIED[name]! : null;
    const closing = CLOSES_P.has(name) ? findOpen(['p'], SCOPE) : implied !== null ? findOpen(implied.closes, implied.upTo) : null;
    if (closing !== null) popTo(closing);
    const parent = stack[stack.length - 1]!;
    const attrs = token.attrs;
    for (const attr of attrs) if (attr[0] === 'class') attr[1] = attr[1].trim().split(/\s+/).join(' ');
    if (attrs.length > 1) attrs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const el: HtmlElement = { type: 'element', name, attrs, children: [] };
    parent.children.push(el);
    if (!VOID.has(name) && !token.selfClosing && stack.length <= MAX_HTML_DEPTH) push(el);
  });
  normalizeWhitespace(root);
  return root;
}

/** Collapse whitespace runs and drop what does not render: whitespace at the edges of blocks. */
function normalizeWhitespace(root: HtmlElement): void {
  const pending: HtmlElement[] = [root];
  for (let el = pending.pop(); el !== undefined; el = pending.pop()) {
    const kids = el.children;
    const blockParent = el.name === '#document' || BLOCK.has(el.name);
    let kept = 0;
    for (let i = 0; i < kids.length; i++) {
      const node = kids[i]!;
      if (node.type === 'element') pending.push(node);
      else if (!node.preserve) {
        let text = COLLAPSIBLE.test(node.text) ? node.text.replace(WHITESPACE_RUNS, ' ') : node.text;
        const before = kids[i - 1];
        const after = kids[i + 1];
        // Only the collapsed ASCII space goes: String#trim would also eat a no-break space, which renders.
        if (text.startsWith(' ') && (before === undefined ? blockParent : before.type === 'element' && BLOCK.has(before.name))) text = text.slice(1);
        if (text.endsWith(' ') && (after === undefined ? blockParent : after.type === 'element' && BLOCK.has(after.name))) text = text.slice(0, -1);
        if (text === '') continue;
        node.text = text;
      }
      kids[kept++] = node; // compacted in place: the neighbours read above are still the originals
    }
    kids.length = kept;
  }
}

const COLLAPSIBLE = /[\t\n\f\r]| {2}/;
const WHITESPACE_RUNS = /[\t\n\f\r ]+/g;
