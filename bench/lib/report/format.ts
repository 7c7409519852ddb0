/** How figures read in the Markdown table and the chart: the same spelling in both. */
import type { BenchReport, Check, ConfigurationResult, Goal, ScenarioReport } from '../types.ts';

export const formatRps = (rps: number): string => Math.round(rps).toLocaleString('en-US');

export const formatMs = (ms: number): string => `${ms.toFixed(Math.abs(ms) < 10 ? 2 : 1)} ms`;

const formatNumber = (value: number): string =>
  Number.isInteger(value) || Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(Math.abs(value) < 10 ? 2 : 1);

export function formatValue(value: number, unit: Goal['unit']): string {
  if (unit === 'ms') return formatMs(value);
  if (unit === 'KiB' || unit === 'MiB') return `${formatNumber(value)} ${unit}`;
  return `${formatNumber(value)}${unit}`;
}

export function formatGoal(goal: Goal | null): string {
  if (goal === null) return 'reported';
  if (goal.op === '<=' && goal.target === 0) return 'none';
  return `${goal.op === '>=' ? '≥' : '≤'} ${formatValue(goal.target, goal.unit)}`;
}

export function formatCheckValue(c: Check): string {
  const value = formatValue(c.value, c.unit);
  if (!c.spread || c.spread.min === c.spread.max) return value;
  return `${value} (${formatNumber(c.spread.min)}–${formatNumber(c.spread.max)})`;
}

export const formatMet = (met: boolean | null): string => (met === null ? '—' : met ? 'yes' : 'no');

/** By how much a missed goal was missed, e.g. "0.61× of the 0.75× asked: 19% short". */
export function shortfall(c: Check): string | null {
  if (c.met !== false || c.goal === null) return null;
  if (c.goal.target === 0) return `${formatValue(c.value, c.unit)} instead of none`;
  const off = c.goal.op === '>=' ? 1 - c.value / c.goal.target : c.value / c.goal.target - 1;
  return `${Math.round(off * 100)}% ${c.goal.op === '>=' ? 'short' : 'over'}`;
}

/** The ceilings of a scenario, e.g. "nginx alone (its own 404): 14,210 rps". */
export const ceilingsOf = (scenario: ScenarioReport): string =>
  (scenario.configurations ?? [])
    .filter((c: ConfigurationResult) => c.role === 'ceiling')
    .map((c) => `${c.label}: ${formatRps(c.rps.median)} rps`)
    .join('; ');

/** How the figures were made: command, machine, software, method; one Markdown bullet each. */
export function provenance(report: BenchReport): string {
  const { machine, settings } = report;
  const v = machine.versions;
  return [
    `- **command**: \`${report.command}\` (${report.mode} mode), ${report.date.slice(0, 16).replace('T', ' ')} UTC, commit ${report.revision}, took ${Math.round(report.seconds)} s`,
    `- **machine**: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}`,
    `- **software**: Node ${v.node}, ${v.python}, ${v.nginx}, ${v.wrk}, ${v.gunicorn}, ${v.sqlite}`,
    `- **method**: ${settings.rounds} interleaved round(s) of ${settings.seconds} s per configuration after a ${settings.warmupSeconds} s warm-up; ${settings.connections} connections (figures marked "1 connection": one); load by ${settings.driver}; front door ${settings.frontDoor}; ${settings.seed} seed, thread ${settings.threadId}`,
  ].join('\n');
}
