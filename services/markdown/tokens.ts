/**
 * The inline passes' currency. `plain` characters may still be syntax (`*`, `[`); `literal` ones never
 * are (escaped or unmatched backticks); `html` is finished output (code spans, autolinks); `break` is a
 * hard line break; `link` is what pass 2 made of `[text](url)`.
 *
 * @example
 * const star: Token = { kind: 'plain', text: '*' };
 */
export type Token =
  { readonly kind: 'plain' | 'literal' | 'html' | 'break'; readonly text: string } | { readonly kind: 'link'; readonly url: string; readonly children: readonly Token[] };

/**
 * Whether a token is the plain (syntax-capable) character `char`.
 *
 * @example
 * isPlain({ kind: 'literal', text: '*' }, '*'); // false
 */
export function isPlain(token: Token | undefined, char: string): boolean {
  return token !== undefined && token.kind === 'plain' && token.text === char;
}
