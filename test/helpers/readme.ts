/**
 * README.md's shell commands as the tests run them: the first sh block of a section, comments removed.
 *
 * @example
 * sectionCommands('## From legacy to next'); // ['npx strangler rollback ...', 'STRANGLER_ANSWERED_BY=1 npx strangler up', 'npx strangler promote ...', ...]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './processes.ts';

export function sectionCommands(heading: string): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(heading);
  if (at === -1) throw new Error(`README.md has no section ${heading}`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at))![1]!;
  return block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}
