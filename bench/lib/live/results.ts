/**
 * The live scenarios' detailed figures, beside the run's results: `live.json` keeps one section per
 * scenario (so running one of them leaves the other's figures in place) and `live.md` shows them all.
 *
 * @example
 * writeLiveSection(ctx.options.out, 'live-connections', { date, command, table, rows });
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LiveSection {
  readonly title: string;
  readonly date: string;
  /** How the figures were made, one Markdown bullet each (command, limits, machine load). */
  readonly method: readonly string[];
  /** The figures as Markdown (a table and what it says). */
  readonly markdown: string;
  /** The same figures as data. */
  readonly data: unknown;
}

type LiveFile = Record<string, LiveSection>;

export function writeLiveSection(outDir: string, name: string, section: LiveSection): string[] {
  mkdirSync(outDir, { recursive: true });
  const jsonFile = join(outDir, 'live.json');
  const sections: LiveFile = existsSync(jsonFile) ? (JSON.parse(readFileSync(jsonFile, 'utf8')) as LiveFile) : {};
  sections[name] = section;
  writeFileSync(jsonFile, `${JSON.stringify(sections, null, 2)}\n`);
  const markdown = [
    '# Live connections: figures',
    '',
    'Written by the `live-connections` and `live-soak` scenarios of `npm run bench` (see bench/README.md); each section is replaced when its scenario runs again.',
    ...Object.entries(sections).flatMap(([key, s]) => ['', `## ${s.title} (\`${key}\`, ${s.date})`, '', ...s.method.map((line) => `- ${line}`), '', s.markdown]),
  ].join('\n');
  const mdFile = join(outDir, 'live.md');
  writeFileSync(mdFile, `${markdown}\n`);
  return [jsonFile, mdFile];
}
