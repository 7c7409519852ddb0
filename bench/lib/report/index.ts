/**
 * Write a run's results: latest.json (everything, machine included), latest.md (the tables) and
 * latest.svg (the chart); and, for the committed results, the tables into bench/README.md.
 *
 * @example
 * const files = writeReport(report, 'bench/results'); // ['bench/results/latest.json', ...]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchReport } from '../types.ts';
import { markdownReport, markdownTables } from './markdown.ts';
import { svgChart } from './svg.ts';

export { markdownReport, markdownTables } from './markdown.ts';
export { svgChart } from './svg.ts';

export function writeReport(report: BenchReport, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const files: [string, string][] = [
    ['latest.json', `${JSON.stringify(report, null, 2)}\n`],
    ['latest.md', markdownReport(report)],
    ['latest.svg', svgChart(report)],
  ];
  return files.map(([name, text]) => {
    const file = join(outDir, name);
    writeFileSync(file, text);
    return file;
  });
}

const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

/** Replace what stands between the results markers of a README with this run's tables. */
export function updateReadme(readme: string, report: BenchReport): void {
  const text = readFileSync(readme, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${readme} has no ${START} … ${END} section to put the results in; add the two markers`);
  writeFileSync(readme, `${text.slice(0, start + START.length)}\n${markdownTables(report)}\n\n![each ratio against its goal](results/latest.svg)\n${text.slice(end)}`);
}
