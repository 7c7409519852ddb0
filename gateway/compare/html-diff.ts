/**
 * Two normalized HTML trees compared node by node, children by position. A difference is reported at an
 * XPath-like path (`/html/body/div[2]/p[1]`, `.../@href`, `.../text()[1]`) whose class drops the indices.
 */
import { clip, type Collector } from './collect.ts';
import type { HtmlElement, HtmlNode } from './html-tree.ts';

interface Frame {
  readonly a: HtmlElement;
  readonly b: HtmlElement;
  /** `div[2]`, or '' for the document. */
  readonly step: string;
  readonly parent: Frame | null;
}

/**
 * Compare two trees from {@link parseHtml} into `found`.
 *
 * @example
 * diffHtml(parseHtml('<p>a</p>'), parseHtml('<p>b</p>'), found); // html /p[1]/text()[1]: "a" vs "b"
 */
export function diffHtml(a: HtmlElement, b: HtmlElement, found: Collector): void {
  const stack: Frame[] = [{ a, b, step: '', parent: null }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const here = frame;
    const report = (step: string, legacy: string, ts: string): void =>
      found.add('body-html', () => {
        const path = pathOf(here) + step;
        return { path, classPath: path.replace(/\[\d+\]/g, ''), legacy: clip(legacy), ts: clip(ts) };
      });
    const attrsA = new Map(here.a.attrs);
    const attrsB = new Map(here.b.attrs);
    for (const name of [...new Set([...attrsA.keys(), ...attrsB.keys()])].sort()) {
      const [va, vb] = [attrsA.get(name), attrsB.get(name)];
      if (va !== vb) report(`/@${name}`, va === undefined ? '(absent)' : JSON.stringify(va), vb === undefined ? '(absent)' : JSON.stringify(vb));
    }
    const [ka, kb] = [here.a.children, here.b.children];
    const counts = new Map<string, number>();
    const children: Frame[] = [];
    for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
      const [na, nb] = [ka[i], kb[i]];
      const first = (na ?? nb)!;
      const key = first.type === 'text' ? 'text()' : first.name;
      const index = (counts.get(key) ?? 0) + 1;
      counts.set(key, index);
      const step = `/${key}[${index}]`;
      if (na?.type === 'element' && nb?.type === 'element' && na.name === nb.name) children.push({ a: na, b: nb, step, parent: here });
      else if (na?.type === 'text' && nb?.type === 'text') {
        if (na.text !== nb.text) report(step, JSON.stringify(na.text), JSON.stringify(nb.text));
      } else report(step, describe(na), describe(nb));
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
