/**
 * Two normalized HTML trees compared node by node, children by position. A difference is reported at an
 * XPath-like path (`/html/body/div[2]/p[1]`, `.../@href`, `.../text()[1]`) whose class drops the indices.
 * Steps of a path are worked out only for what is reported, once per parent.
 */
import { clip, type Collector } from './collect.ts';
import type { HtmlElement, HtmlNode } from './html-tree.ts';

interface Frame {
  readonly a: HtmlElement;
  readonly b: HtmlElement;
  readonly parent: Frame | null;
  /** Position among the parent's children. */
  readonly index: number;
  /** The children's steps (`/div[2]`), computed on first need. */
  steps?: string[];
}
/** A child that differs as a whole (text, or an element replaced, missing or extra), reported in document order. */
interface Leaf {
  readonly parent: Frame;
  readonly index: number;
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
  const report = (at: () => string, legacy: string, ts: string): void =>
    found.add('body-html', () => {
      const path = at();
      return { path, classPath: path.replace(/\[\d+\]/g, ''), legacy: clip(legacy), ts: clip(ts) };
    });
  const stack: (Frame | Leaf)[] = [{ a, b, parent: null, index: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if ('legacy' in item) {
      const leaf = item;
      report(() => pathOf(leaf.parent) + stepOf(leaf.parent, leaf.index), leaf.legacy, leaf.ts);
      continue;
    }
    const here = item;
    diffAttributes(here.a.attrs, here.b.attrs, (name, legacy, ts) => report(() => `${pathOf(here)}/@${name}`, legacy, ts));
    const [ka, kb] = [here.a.children, here.b.children];
    const children: (Frame | Leaf)[] = [];
    for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
      const [na, nb] = [ka[i], kb[i]];
      if (na?.type === 'element' && nb?.type === 'element' && na.name === nb.name) children.push({ a: na, b: nb, parent: here, index: i });
      else if (na?.type === 'text' && nb?.type === 'text') {
        if (na.text !== nb.text) children.push({ parent: here, index: i, legacy: JSON.stringify(na.text), ts: JSON.stringify(nb.text) });
      } else children.push({ parent: here, index: i, legacy: describe(na), ts: describe(nb) });
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
}

type Attrs = readonly (readonly [string, string])[];

/** Both lists are sorted by name: one merge walk. */
function diffAttributes(a: Attrs, b: Attrs, differ: (name: string, legacy: string, ts: string) => void): void {
  let [i, j] = [0, 0];
  while (i < a.length || j < b.length) {
    const [x, y] = [a[i], b[j]];
    if (x !== undefined && y !== undefined && x[0] === y[0]) {
      if (x[1] !== y[1]) differ(x[0], JSON.stringify(x[1]), JSON.stringify(y[1]));
      i++;
      j++;
    } else if (y === undefined || (x !== undefined && x[0] < y[0])) {
      differ(x![0], JSON.stringify(x![1]), '(absent)');
      i++;
    } else {
      differ(y[0], '(absent)', JSON.stringify(y[1]));
      j++;
    }
  }
}

function pathOf(frame: Frame): string {
  const steps: string[] = [];
  for (let f: Frame = frame; f.parent !== null; f = f.parent) steps.push(stepOf(f.parent, f.index));
  return steps.reverse().join('');
}

/** `/name[k]` of a parent's child: k counts same-named siblings (legacy's side where it has the child). */
function stepOf(parent: Frame, index: number): string {
  if (parent.steps === undefined) {
    const counts = new Map<string, number>();
    const [ka, kb] = [parent.a.children, parent.b.children];
    parent.steps = [];
    for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
      const node = (ka[i] ?? kb[i])!;
      const key = node.type === 'text' ? 'text()' : node.name;
      const k = (counts.get(key) ?? 0) + 1;
      counts.set(key, k);
      parent.steps.push(`/${key}[${k}]`);
    }
  }
  return parent.steps[index]!;
}

function describe(node: HtmlNode | undefined): string {
  if (node === undefined) return '(absent)';
  if (node.type === 'text') return JSON.stringify(node.text);
  const attrs = node.attrs.map(([k, v]) => ` ${k}="${v}"`).join('');
  return `<${node.name}${attrs}>`;
}
