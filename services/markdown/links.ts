/**
 * Pass 2 of the inline grammar: `[text](url)` over pass-1 tokens. Only plain tokens are syntax, and the
 * URL must use an allowed scheme.
 */
import { LINK_SCHEMES, URL_CHARS } from './syntax.ts';
import { isPlain, type Token } from './tokens.ts';

/**
 * Replace each `[text](url)` with a link token holding its text tokens, in one scan with each `[`'s
 * next plain bracket precomputed, so `[[[[…` stays linear.
 *
 * @example
 * const tokens = [...'[a](http://b)'].map((text): Token => ({ kind: 'plain', text }));
 * findLinks(tokens); // [{ kind: 'link', url: 'http://b', children: [{ kind: 'plain', text: 'a' }] }]
 */
export function findLinks(tokens: readonly Token[]): Token[] {
  const nextBracket = nextBrackets(tokens);
  const out: Token[] = [];
  let i = 0;
  while (i < tokens.length) {
    const link = isPlain(tokens[i], '[') ? linkAt(tokens, i, nextBracket[i]!) : undefined;
    if (link) {
      out.push({ kind: 'link', url: link.url, children: tokens.slice(i + 1, nextBracket[i]) });
      i = link.close + 1;
    } else {
      out.push(tokens[i]!);
      i += 1;
    }
  }
  return out;
}

/** For each index, the index of the first plain `[` or `]` after it (`tokens.length` when none). */
function nextBrackets(tokens: readonly Token[]): number[] {
  const next = new Array<number>(tokens.length + 1).fill(tokens.length);
  let following = tokens.length;
  for (let index = tokens.length - 1; index >= 0; index--) {
    next[index] = following;
    if (isPlain(tokens[index], '[') || isPlain(tokens[index], ']')) following = index;
  }
  return next;
}

/** The URL and the closing parenthesis's index when a link opens at `opener`. */
function linkAt(tokens: readonly Token[], opener: number, bracket: number): { url: string; close: number } | undefined {
  if (bracket === opener + 1 || !isPlain(tokens[bracket], ']') || !isPlain(tokens[bracket + 1], '(')) return undefined;
  let end = bracket + 2;
  while (isUrlChar(tokens[end])) end += 1;
  if (end === bracket + 2 || !isPlain(tokens[end], ')')) return undefined;
  const url = tokens
    .slice(bracket + 2, end)
    .map((token) => (token.kind === 'plain' ? token.text : ''))
    .join('');
  const lower = url.toLowerCase();
  return LINK_SCHEMES.some((scheme) => lower.startsWith(scheme)) ? { url, close: end } : undefined;
}

function isUrlChar(token: Token | undefined): boolean {
  return token !== undefined && token.kind === 'plain' && URL_CHARS.has(token.text);
}
