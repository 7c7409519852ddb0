/**
 * Two normalized HTML trees compared node by node, children by position. A difference is reported at an
 * XPath-like path (`/html/body/div[2]/p[1]`, `.../@href`, `.../text()[1]`) whose class drops the indices.
 */
import { clip, type Collector } from './collect.ts';
import type { HtmlElement, HtmlNode } from './html-tree.ts';

interface Frame {
  readonly a: HtmlElement;
  readonly b: HtmlElement;
  /** `/div[2]`, or '' for the document. */
  readonly step: string;
  readonly parent: Frame | null;
}
/** A child that differs as a whole (text, or an element replaced, missing or extra), reported in document order. */
interface Leaf {
  readonly parent: Frame;
  readonly step: string;
  readonly legacy: string;
  readonly ts: string;
}

/**
 * Compare two trees from {@link parseHtml} into `found`.
 *
 * @example
 * diffHtml(parseHtml('<p>a</p>'), parseHtml('<p>b</p>'), found); // html /p[1]/text()[1]: "a" vs "b"
 */
export function diffHtml(a: HtmlElement, b: HtmlElement, found: Collector): void {
  const report = (parent: Frame, step: string, legacy: string, ts: string): void =>
    found.add('body-html', () => {
      const path = pathOf(parent) + step;
      return { path, classPath: path.replace(/\[\d+\]/g, ''), legacy: clip(legacy), ts: clip(ts) };
    });
  const stack: (Frame | Leaf)[] = [{ a, b, step: '', parent: null }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if ('legacy' in item) {
      report(item.parent, item.step, item.legacy, item.ts);
      continue;
    }
    const here = item;
    const attrsA = new Map(here.a.attrs);
    const attrsB = new Map(here.b.attrs);
    for (const name of [...new Set([...attrsA.keys(), ...attrsB.keys()])].sort()) {
      const [va, vb] = [attrsA.get(name), attrsB.get(name)];
      if (va !== vb) report(here, `/@${name}`, va === undefined ? '(absent)' : JSON.stringify(va), vb === undefined ? '(absent)' : JSON.stringify(vb));
    }
    const [ka, kb] = [here.a.children, here.b.children];
    const counts = new Map<string, number>();
    const children: (Frame | Leaf)[] = [];
    for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
      const [na, nb] = [ka[i], kb[i]];
      const first = (na ?? nb)!;
      const key = first.type === 'text' ? 'text()' : first.name;
      const index = (counts.get(key) ?? 0) + 1;
      counts.set(key, index);
      const step = `/${key}[${index}]`;
      if (na?.type === 'element' && nb?.type === 'element' && na.name === nb.name) children.push({ a: na, b: nb, step, parent: here });
      else if (na?.type === 'text' && nb?.type === 'text') {
        if (na.text !== nb.text) children.push({ parent: here, step, legacy: JSON.stringify(na.text), ts: JSON.stringify(nb.text) });
      } else children.push({ parent: here, step, legacy: describe(na), ts: describe(nb) });
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
}

function pathOf(frame: Frame): string {
  const steps: string[] = [];
  for (let f: Frame | null = frame; f !== null; f = f.parent) steps.push(f.step);
  return steps.reverse().join('');
}

function describe(node: HtmlNode | undefined): string {
  if (node === undefined) return '(absent)';
  if (node.type === 'text') return JSON.stringify(node.text);
  const attrs = node.attrs.map(([k, v]) => ` ${k}="${v}"`).join('');
  return `<${node.name}${attrs}>`;
}
