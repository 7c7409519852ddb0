/**
 * The TypeScript Markdown port against the legacy Python renderer: the named corpus and a seeded set of
 * random documents go through both (one Python process for all of them) and must match byte for byte.
 * Every output must also be safe: only the tags and attributes the grammar writes, links only to
 * http, https or mailto, and no character of markup from the input left unescaped.
 *
 * Reproduce a random failure with MARKDOWN_SEED=<seed> npx vitest run test/markdown.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../services/markdown/render.ts';
import { seededRandom } from '../helpers/random-table.ts';
import { MARKDOWN_CORPUS } from './corpus.ts';

const LEGACY_DIR = fileURLToPath(new URL('../../legacy-python', import.meta.url));
const SEED = Number(process.env.MARKDOWN_SEED ?? 20_240_611);
const RANDOM_DOCUMENTS = 1_500;

const RENDER_ALL = `
import json, sys
from forum.markdown import render

def attempt(source):
    try:
        return {"html": render(source)}
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}

sys.stdout.write(json.dumps([attempt(source) for source in json.loads(sys.stdin.buffer.read())]))
`;

type LegacyResult = { readonly html: string } | { readonly error: string };

function renderWithPython(sources: readonly string[]): LegacyResult[] {
  const result = spawnSync('/usr/bin/python3', ['-c', RENDER_ALL], {
    cwd: LEGACY_DIR,
    input: JSON.stringify(sources),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`the legacy renderer failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as LegacyResult[];
}

// Pieces weighted towards syntax: block starts open lines, inline pieces fill them.
const INDENTS = ['', '', '', ' ', '  ', '   ', '    ', '      ', '\t'];
const BLOCK_STARTS = ['', '', '', '- ', '+ ', '* ', '1. ', '2. ', '10. ', '> ', '>', '# ', '### ', '```', '```js', '- - ', '> - ', '1. > '];
const INLINE = [
  '*',
  '*',
  '**',
  '***',
  '_',
  '`',
  '``',
  '[',
  ']',
  '(',
  ')',
  '<',
  '>',
  '#',
  '-',
  '+',
  '1.',
  ' ',
  ' ',
  '  ',
  '\t',
  '\n',
  '\\',
  'http://',
  'https://',
  'mailto:',
  'HTTP://',
  'x.y/z',
  'a',
  'b',
  'word',
  'é',
  '日本',
  'ſ',
  'ı',
  '\u0130',
  '\u212a',
  '\u00a0',
  '\u2028',
  '\x1c',
  '\ufeff',
  '\u200b',
  '\0',
  '😀',
  '👍🏽',
  '&',
  '"',
  "'",
  '<http://a.b>',
  '[t](http://u)',
  'javascript:',
];
const LINE_ENDINGS = ['\n', '\n', '\n', '\r\n', '\r', '\n\n'];

function randomDocuments(seed: number, count: number): string[] {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const upTo = (limit: number): number => Math.floor(next() * (limit + 1));
  return Array.from({ length: count }, () => {
    const lines = Array.from({ length: upTo(8) }, () => {
      const text = Array.from({ length: upTo(10) }, () => pick(INLINE)).join('');
      return pick(INDENTS) + pick(BLOCK_STARTS) + text;
    });
    return lines.join(pick(LINE_ENDINGS));
  });
}

const ALLOWED_TAGS = new Set(['p', 'br', 'em', 'strong', 'code', 'pre', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'ul', 'ol', 'li', 'a']);
const TAG = /<(\/?)([a-z0-9]+)((?: [a-z]+="[^"]*")*)>/y;
const ATTRIBUTE = / ([a-z]+)="([^"]*)"/g;
const ENTITY = /&(?:amp|lt|gt|quot|#x27);/y;
const SAFE_SCHEME = /^(?:https?:\/\/|mailto:)/i;
// Python's re.IGNORECASE lets an autolink spell its scheme with ſ (for s) or ı, İ (for i). No browser
// reads those as a scheme, so such an href must resolve as a path on the forum itself.
const FOLDED_SCHEME = /^(?:[hH][tT][tT][pP][sS\u017f]?:\/\/|[mM][aA][iI\u0130\u0131][lL][tT][oO]:)/u;
const FORUM_PAGE = 'https://forum.example/t/1';

const unescapeHtml = (text: string): string => text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&#x27;', "'").replaceAll('&amp;', '&');

function isAllowedHref(href: string): boolean {
  if (SAFE_SCHEME.test(href)) return true;
  return FOLDED_SCHEME.test(href) && new URL(href, FORUM_PAGE).origin === new URL(FORUM_PAGE).origin;
}

function attributeProblems(name: string, attributes: ReadonlyMap<string, string>): string[] {
  const allowed = name === 'a' ? 'href' : name === 'code' ? 'class' : name === 'ol' ? 'start' : undefined;
  const problems = [...attributes.keys()].filter((key) => key !== allowed).map((key) => `attribute ${key} on <${name}>`);
  const href = attributes.get('href');
  if (name === 'a' && (href === undefined || !isAllowedHref(unescapeHtml(href)))) problems.push(`href ${href}`);
  const language = attributes.get('class');
  if (name === 'code' && language !== undefined && !/^language-[A-Za-z0-9_+-]+$/.test(language)) problems.push(`class ${language}`);
  const start = attributes.get('start');
  if (name === 'ol' && start !== undefined && !/^[0-9]+$/.test(start)) problems.push(`start ${start}`);
  return problems;
}

/** Everything in `html` that the grammar could not have written, as readable strings (empty when safe). */
function safetyProblems(html: string): string[] {
  const problems: string[] = [];
  let i = 0;
  while (i < html.length) {
    const char = html[i]!;
    TAG.lastIndex = i;
    ENTITY.lastIndex = i;
    const tag = char === '<' ? TAG.exec(html) : null;
    if (tag) {
      const [whole, closing, name = '', attributeText = ''] = tag;
      const attributes = new Map([...attributeText.matchAll(ATTRIBUTE)].map((match) => [match[1]!, match[2]!] as const));
      if (!ALLOWED_TAGS.has(name)) problems.push(`tag <${closing}${name}>`);
      else if (closing) problems.push(...[...attributes.keys()].map((key) => `attribute ${key} on </${name}>`));
      else problems.push(...attributeProblems(name, attributes));
      i += whole.length;
    } else if (char === '&' && ENTITY.test(html)) {
      i = ENTITY.lastIndex;
    } else {
      if ('<>"&'.includes(char)) problems.push(`unescaped ${char} at ${i}`);
      i += 1;
    }
  }
  return problems;
}

const randomSources = randomDocuments(SEED, RANDOM_DOCUMENTS);
const legacy = renderWithPython([...MARKDOWN_CORPUS.map((sample) => sample.source), ...randomSources]);
const legacyCorpus = legacy.slice(0, MARKDOWN_CORPUS.length);
const legacyRandom = legacy.slice(MARKDOWN_CORPUS.length);

describe('Markdown corpus: TypeScript port against legacy Python', () => {
  it('names every sample once', () => {
    const names = MARKDOWN_CORPUS.map((sample) => sample.name);
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
    expect(names.length).toBeGreaterThanOrEqual(120);
  });

  it.each(MARKDOWN_CORPUS.map((sample, index) => [sample.name, sample.source, legacyCorpus[index]!] as const))(
    'renders %s byte for byte as legacy does',
    (_name, source, expected) => {
      expect(expected).not.toHaveProperty('error');
      expect(renderMarkdown(source)).toBe('html' in expected ? expected.html : undefined);
    },
  );
});

describe(`Markdown random documents (seed ${SEED}): TypeScript port against legacy Python`, () => {
  it(`renders all ${RANDOM_DOCUMENTS} documents byte for byte as legacy does`, () => {
    const crashes = legacyRandom.flatMap((result, index) => ('error' in result ? [{ index, source: randomSources[index], ...result }] : []));
    expect(crashes, `seed ${SEED}: legacy raised`).toEqual([]);
    const index = randomSources.findIndex((source, k) => renderMarkdown(source) !== (legacyRandom[k] as { html: string }).html);
    const firstDifference =
      index === -1 ? undefined : { seed: SEED, index, source: randomSources[index]!, legacy: legacyRandom[index], typescript: renderMarkdown(randomSources[index]!) };
    expect(firstDifference, `seed ${SEED}: first differing document`).toBeUndefined();
  });
});

describe('Markdown output safety', () => {
  it('writes only allowlisted tags and attributes, safe hrefs and escaped text for every corpus and random document', () => {
    const samples = [...MARKDOWN_CORPUS, ...randomSources.map((source, index) => ({ name: `random ${SEED}#${index}`, source }))];
    const unsafe = samples.flatMap(({ name, source }) => {
      const html = renderMarkdown(source);
      const problems = safetyProblems(html);
      return problems.length > 0 ? [{ name, problems, html }] : [];
    });
    expect(unsafe).toEqual([]);
  });

  it('flags what an unsafe renderer would write', () => {
    expect(safetyProblems('<p><a href="javascript:alert(1)">x</a></p>')).toEqual(['href javascript:alert(1)']);
    expect(safetyProblems('<img src=x onerror=alert(1)>')).toEqual(['unescaped < at 0', 'unescaped > at 27']);
    expect(safetyProblems('<a href="http://a" onclick="x">')).toEqual(['attribute onclick on <a>']);
    expect(safetyProblems('<p>&#x3C;script&#x3E;</p>')).toEqual(['unescaped & at 3', 'unescaped & at 15']);
    expect(safetyProblems('<script>')).toEqual(['tag <script>']);
    expect(safetyProblems('<a href="httpſ://evil.example">x</a>')).toEqual([]);
  });
});
