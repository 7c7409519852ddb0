/**
 * A small HTML tokenizer: start and end tags with attributes, text with entities decoded, raw text in
 * script and style, RCDATA in textarea and title; comments, doctypes and processing instructions are
 * dropped (they are not part of what a page shows). One pass over the text, no backtracking.
 */
import { decodeEntities } from './html-entities.ts';

export type Token =
  /** Attributes in source order, names lower case, the first of two same-named ones kept. */
  | { readonly type: 'start'; readonly name: string; readonly attrs: [string, string][]; readonly selfClosing: boolean }
  | { readonly type: 'end'; readonly name: string }
  | { readonly type: 'text'; readonly text: string };

const RAW_TEXT = new Set(['script', 'style']);
const RCDATA = new Set(['textarea', 'title']);
// Character tests by code, not by regular expression: this loop sees every byte of a 256 KiB page.
const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 9 || c === 13 || c === 12;
const isNameEnd = (c: number): boolean => isSpace(c) || c === 47 /* / */ || c === 62; /* > */
const isAttrNameEnd = (c: number): boolean => isNameEnd(c) || c === 61; /* = */

/**
 * The tokens of an HTML text, handed to `emit` in order (no token list is built).
 *
 * @example
 * tokenize('<p class=a>x &amp; y</p>', (t) => seen.push(t));
 * // { type: 'start', name: 'p', attrs: [['class', 'a']], selfClosing: false },
 * // { type: 'text', text: 'x & y' }, { type: 'end', name: 'p' }
 */
export function tokenize(html: string, emit: (token: Token) => void): void {
  let i = 0;
  const text = (raw: string, decode: boolean): void => {
    if (raw !== '') emit({ type: 'text', text: decode ? decodeEntities(raw) : raw });
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
      const nameEnd = scan(html, lt + 2, isNameEnd);
      const close = html.indexOf('>', nameEnd);
      emit({ type: 'end', name: html.slice(lt + 2, nameEnd).toLowerCase() });
      i = close === -1 ? html.length : close + 1;
    } else if (isLetter(next)) {
      const tag = readStartTag(html, lt + 1);
      emit(tag.token);
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
}

function readStartTag(html: string, from: number): { token: Extract<Token, { type: 'start' }>; end: number } {
  let i = scan(html, from, isNameEnd);
  const name = html.slice(from, i).toLowerCase();
  const attrs: [string, string][] = [];
  let selfClosing = false;
  while (i < html.length) {
    while (i < html.length && (isSpace(html.charCodeAt(i)) || html[i] === '/')) {
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
    i = scan(html, i, isAttrNameEnd);
    if (i === nameStart) i++; // a stray '=': skip it
    const attr = html.slice(nameStart, i).toLowerCase();
    i = skipSpace(html, i);
    let value = '';
    if (html[i] === '=') {
      i = skipSpace(html, i + 1);
      const quote = html[i];
      if (quote === '"' || quote === "'") {
        const close = html.indexOf(quote, i + 1);
        const end = close === -1 ? html.length : close;
        value = html.slice(i + 1, end);
        i = end + 1;
      } else {
        const start = i;
        while (i < html.length && !isSpace(html.charCodeAt(i)) && html[i] !== '>') i++;
        value = html.slice(start, i);
      }
    }
    // The first of two same-named attributes wins (HTML Living Standard, attribute name state).
    if (attr !== '' && attr !== '=' && !attrs.some(([n]) => n === attr)) attrs.push([attr, decodeEntities(value)]);
  }
  return { token: { type: 'start', name, attrs, selfClosing }, end: html.length };
}

function scan(html: string, from: number, stop: (c: number) => boolean): number {
  let i = from;
  while (i < html.length && !stop(html.charCodeAt(i))) i++;
  return i;
}

function skipSpace(html: string, from: number): number {
  let i = from;
  while (i < html.length && isSpace(html.charCodeAt(i))) i++;
  return i;
}

function isLetter(ch: string | undefined): boolean {
  return ch !== undefined && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'));
}
