/**
 * The gateway is a tool for any legacy app: nothing under gateway/ (tests aside) may load a file of the
 * worked example (services/, legacy-python/), by import, dynamic import or a path built from the module's
 * own URL. The app names its services module in the configuration instead (STRANGLER_SERVICES).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const GATEWAY = join(ROOT, 'gateway');
const EXAMPLE_DIRS = ['services', 'legacy-python'] as const;

const REFERENCES = [
  /^\s*(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /new\s+URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g,
];
/** `resolve(ROOT, 'legacy-python/...')`: a path named from the repository root. */
const ROOT_PATHS = /\b(?:resolve|join)\(\s*ROOT\s*,\s*['"]([^'"]+)['"]/g;

/** Every relative module or file a source text refers to, resolved from `file`, that lies in the example. */
function exampleReferences(file: string, text: string): string[] {
  const targets = [
    ...REFERENCES.flatMap((pattern) =>
      [...text.matchAll(pattern)]
        .map((match) => match[1]!)
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => ({ specifier, target: resolve(dirname(file), specifier) })),
    ),
    ...[...text.matchAll(ROOT_PATHS)].map((match) => ({ specifier: match[1]!, target: resolve(ROOT, match[1]!) })),
  ];
  return targets
    .filter(({ target }) => EXAMPLE_DIRS.some((dir) => relative(ROOT, target) === dir || relative(ROOT, target).startsWith(`${dir}${sep}`)))
    .map(({ specifier }) => `${relative(ROOT, file)} -> ${specifier}`);
}

const sourcesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return /\.[cm]?[jt]s$/.test(entry.name) && !/\.test\.[cm]?[jt]s$/.test(entry.name) ? [path] : [];
  });

describe('the gateway knows nothing of the example', () => {
  it('finds an import of services/ or legacy-python/ when one is there', () => {
    const file = join(GATEWAY, 'server', 'main.ts');
    const planted = [
      "import { composeServices } from '../../services/index.ts';",
      "export { x } from '../../services/boards/index.ts';",
      "const m = await import('../../legacy-python/x.js');",
      "const dir = new URL('../../legacy-python/forum/templates', import.meta.url);",
      "const db = resolve(ROOT, 'legacy-python/seed.py');",
      "import type { Service } from './service.ts';",
    ].join('\n');
    expect(exampleReferences(file, planted)).toHaveLength(5);
  });

  it('has no non-test file under gateway/ that imports or reads services/ or legacy-python/', () => {
    const sources = sourcesUnder(GATEWAY);
    expect(sources.length).toBeGreaterThan(20);
    expect(sources.flatMap((file) => exampleReferences(file, readFileSync(file, 'utf8')))).toEqual([]);
  });
});
