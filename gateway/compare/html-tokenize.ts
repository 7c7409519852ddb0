/**
 * A small HTML tokenizer: start and end tags with attributes, text with entities decoded, raw text in
 * script and style, RCDATA in textarea and title; comments, doctypes and processing instructions are
 * dropped (they are not part of what a page shows). One pass over the text, no backtracking.
 */
import { decodeEntities } from './html-entities.ts';

export type Token =
  | { readonly type: 'start'; readonly name: string; readonly attrs: ReadonlyMap<string, string>; readonly selfClosing: boolean }
  | { readonly type: 'end'; readonly name: string }
  | { readonly type: 'text'; readonly text: string };

const RAW_TEXT = new Set(['script', 'style']);
const RCDATA = new Set(['textarea', 'title']);
const SPACE = /[\t\n\f\r ]/;
const NAME_END = /[\t\n\f\r />]/;

/**
 * The tokens of an HTML text, in order.
 *
 * @example
 * tokenize('<p class=a>x &amp; y</p>');
 * // [{ type: 'start', name: 'p', attrs: Map { 'class' => 'a' }, selfClosing: false },
 * //  { type: 'text', text: 'x & y' }, { type: 'end', name: 'p' }]
 */
export function tokenize(html: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const text = (raw: string, decode: boolean): void => {
    if (raw !== '') tokens.push({ type: 'text', text: decode ? decodeEntities(raw) : raw });
  };
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt === -1) {
      text(html.slice(i), true);
      break;
    }
    text(html.slice(i, lt), true);
    const next = html[lt + 1] ?? '';
    if (html.startsWith('<!--', lt)) {
      const close = html.indexOf('-->', lt + 4);
      i = close === -1 ? html.length : close + 3;
    } else if (next === '!' || next === '?') {
      const close = html.indexOf('>', lt);
      i = close === -1 ? html.length : close + 1;
    } else if (next === '/' && isLetter(html[lt + 2])) {
      const nameEnd = scan(html, lt + 2, NAME_END);
      const close = html.indexOf('>', nameEnd);
      tokens.push({ type: 'end', name: html.slice(lt + 2, nameEnd).toLowerCase() });
      i = close === -1 ? html.length : close + 1;
    } else if (isLetter(next)) {
      const tag = readStartTag(html, lt + 1);
      tokens.push(tag.token);
      i = tag.end;
      const name = tag.token.name;
      if (!tag.token.selfClosing && (RAW_TEXT.has(name) || RCDATA.has(name))) {
        const closer = new RegExp(`</${name}[\\t\\n\\f\\r />]`, 'gi');
        closer.lastIndex = i;
        const found = closer.exec(html);
        const stop = found === null ? html.length : found.index;
        text(html.slice(i, stop), RCDATA.has(name));
        i = stop;
      }
    } else {
      text('<', false);
      i = lt + 1;
    }
  }
  return tokens;
}

function readStartTag(html: string, from: number): { token: Extract<Token, { type: 'start' }>; end: number } {
  let i = scan(html, from, NAME_END);
  const name = html.slice(from, i).toLowerCase();
  const attrs = new Map<string, string>();
  let selfClosing = false;
  while (i < html.length) {
    while (i < html.length && (SPACE.test(html[i]!) || html[i] === '/')) {
      selfClosing = html[i] === '/';
      i++;
    }
    if (i >= html.length) break;
    if (html[i] === '>') {
      i++;
      return { token: { type: 'start', name, attrs, selfClosing }, end: i };
    }
    selfClosing = false;
    const nameStart = i;
    while (i < html.length && !/[\t\n\f\r />=]/.test(html[i]!)) i++;
    if (i === nameStart) i++; // a stray '=': skip it
    const attr = html.slice(nameStart, i).toLowerCase();
    while (i < html.length && SPACE.test(html[i]!)) i++;
    let value = '';
    if (html[i] === '=') {
      i++;
      while (i < html.length && SPACE.test(html[i]!)) i++;
      const quote = html[i];
      if (quote === '"' || quote === "'") {
        const close = html.indexOf(quote, i + 1);
        const end = close === -1 ? html.length : close;
        value = html.slice(i + 1, end);
        i = end + 1;
      } else {
        const start = i;
        while (i < html.length && !SPACE.test(html[i]!) && html[i] !== '>') i++;
        value = html.slice(start, i);
      }
    }
    // The first of two same-named attributes wins (HTML Living Standard, attribute name state).
    if (attr !== '' && attr !== '=' && !attrs.has(attr)) attrs.set(attr, decodeEntities(value));
  }
  return { token: { type: 'start', name, attrs, selfClosing }, end: html.length };
}

function scan(html: string, from: number, stop: RegExp): number {
  let i = from;
  while (i < html.length && !stop.test(html[i]!)) i++;
  return i;
}

function isLetter(ch: string | undefined): boolean {
  return ch !== undefined && /[A-Za-z]/.test(ch);
}
