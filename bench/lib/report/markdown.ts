/**
 * The results as Markdown: one table of figures against their goals (with the ceilings), one of every
 * configuration measured. Written to latest.md and pasted into bench/README.md.
 */
import type { BenchReport, ScenarioReport } from '../types.ts';
import { ceilingsOf, formatCheckValue, formatGoal, formatMet, formatMs, formatRps, provenance, shortfall } from './format.ts';

const row = (cells: readonly string[]): string => `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;

function goalRows(scenario: ScenarioReport): string[] {
  if (scenario.status !== 'measured') {
    return [row([scenario.title, scenario.measuredAs, `${scenario.status}${scenario.reason ? `: ${scenario.reason.replace(/^not landed: /, '')}` : ''}`, scenario.goal, '—', '—'])];
  }
  const ceilings = ceilingsOf(scenario) || '—';
  return (scenario.checks ?? []).map((c, i) => {
    const missed = shortfall(c);
    return row([i === 0 ? scenario.title : '', c.label, formatCheckValue(c), formatGoal(c.goal), missed ? `**no**, ${missed}` : formatMet(c.met), i === 0 ? ceilings : '']);
  });
}

function configurationRows(scenario: ScenarioReport): string[] {
  return (scenario.configurations ?? []).map((c, i) =>
    row([
      i === 0 ? scenario.title : '',
      `${c.label}${c.role === 'ceiling' ? ' (ceiling)' : ''}`,
      String(c.connections),
      formatRps(c.rps.median),
      c.runs.length > 1 ? `${formatRps(c.rps.min)}–${formatRps(c.rps.max)}` : '—',
      formatMs(c.p50Ms),
      formatMs(c.p99Ms),
      c.expectedStatus ? `0 (answers ${c.expectedStatus})` : String(c.errors),
    ]),
  );
}

/** The tables without a title, for embedding. */
export function markdownTables(report: BenchReport): string {
  const measured = report.scenarios.filter((s) => s.status === 'measured');
  const notes = report.scenarios.flatMap((s) => (s.notes ?? []).map((note) => `- ${s.title}: ${note}`));
  return [
    provenance(report),
    '',
    row(['scenario', 'figure', 'median (min–max over rounds)', 'goal', 'met?', 'ceiling']),
    row(['---', '---', '---', '---', '---', '---']),
    ...report.scenarios.flatMap(goalRows),
    '',
    row(['scenario', 'configuration', 'connections', 'median rps', 'rps min–max', 'p50', 'p99', 'errors']),
    row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...measured.flatMap(configurationRows),
    ...(notes.length ? ['', ...notes] : []),
  ].join('\n');
}

export const markdownReport = (report: BenchReport): string => `# Benchmark results\n\n${markdownTables(report)}\n`;
