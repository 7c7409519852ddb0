/**
 * A bar chart of every ratio against its goal, hand-written SVG: one row per ratio, a log scale (a 10×
 * win and a 0.8× cost both stay readable), the bar green when the goal is met and red when missed, a
 * black tick at the goal. Scenarios that did not run get a grey row saying why.
 */
import type { BenchReport, Check } from '../types.ts';
import { formatGoal, formatValue } from './format.ts';

const WIDTH = 900;
const LABEL_WIDTH = 330;
const VALUE_WIDTH = 175;
const ROW_HEIGHT = 26;
const TOP = 64;
const BOTTOM = 40;
const PLOT_LEFT = LABEL_WIDTH;
const PLOT_WIDTH = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
const TICKS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100];
const COLOR = { met: '#2e7d32', missed: '#c62828', none: '#757575', pending: '#bdbdbd', grid: '#e0e0e0', text: '#212121' } as const;

const escapeXml = (text: string): string => text.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

type Row = { kind: 'heading'; title: string } | { kind: 'ratio'; check: Check } | { kind: 'pending'; title: string; text: string };

export function svgChart(report: BenchReport): string {
  const rows: Row[] = report.scenarios.flatMap((scenario): Row[] => {
    if (scenario.status !== 'measured')
      return [
        { kind: 'pending', title: scenario.title, text: `${scenario.status}${scenario.status === 'not landed' ? '' : ` (${scenario.reason ?? ''})`}; goal ${scenario.goal}` },
      ];
    const ratios = (scenario.checks ?? []).filter((c) => c.unit === '×');
    return ratios.length ? [{ kind: 'heading', title: scenario.title }, ...ratios.map((check): Row => ({ kind: 'ratio', check }))] : [];
  });
  const values = rows.flatMap((row) => (row.kind === 'ratio' ? [row.check.value, row.check.goal?.target ?? row.check.value] : []));
  // Room on both sides: no bar or goal tick sits on the edge of the plot.
  const low = TICKS.filter((tick) => tick <= Math.min(0.5, ...values) / 1.5).at(-1) ?? TICKS[0]!;
  const high = TICKS.find((tick) => tick >= Math.max(2, ...values) * 1.15) ?? TICKS.at(-1)!;
  const x = (value: number): number => PLOT_LEFT + (Math.log(Math.min(Math.max(value, low), high) / low) / Math.log(high / low)) * PLOT_WIDTH;
  const height = TOP + rows.length * ROW_HEIGHT + BOTTOM;
  const plotBottom = TOP + rows.length * ROW_HEIGHT;

  const grid = TICKS.filter((tick) => tick >= low && tick <= high).map((tick) =>
    [
      `<line x1="${x(tick).toFixed(1)}" y1="${TOP - 6}" x2="${x(tick).toFixed(1)}" y2="${plotBottom}" stroke="${tick === 1 ? '#9e9e9e' : COLOR.grid}"/>`,
      `<text x="${x(tick).toFixed(1)}" y="${plotBottom + 16}" text-anchor="middle">${tick}×</text>`,
    ].join(''),
  );

  const body = rows.map((row, i) => {
    const y = TOP + i * ROW_HEIGHT;
    const baseline = y + ROW_HEIGHT / 2 + 4;
    if (row.kind === 'heading') return `<text x="8" y="${baseline + 4}" font-weight="bold">${escapeXml(row.title)}</text>`;
    if (row.kind === 'pending') {
      return `<text x="8" y="${baseline}" font-weight="bold" fill="${COLOR.none}">${escapeXml(row.title)}</text><text x="${PLOT_LEFT}" y="${baseline}" fill="${COLOR.none}" font-style="italic">${escapeXml(row.text)}</text>`;
    }
    const { check } = row;
    const color = check.met === null ? COLOR.none : check.met ? COLOR.met : COLOR.missed;
    const goal = check.goal;
    const goalTick = goal
      ? `<line x1="${x(goal.target).toFixed(1)}" y1="${y + 2}" x2="${x(goal.target).toFixed(1)}" y2="${y + ROW_HEIGHT - 2}" stroke="${COLOR.text}" stroke-width="2"/>`
      : '';
    const verdict = check.met === null ? '' : check.met ? ' ✓' : ' ✗';
    return [
      `<text x="20" y="${baseline}">${escapeXml(check.label)}</text>`,
      `<rect x="${PLOT_LEFT}" y="${y + 6}" width="${Math.max(1, x(check.value) - PLOT_LEFT).toFixed(1)}" height="${ROW_HEIGHT - 12}" fill="${color}"/>`,
      goalTick,
      `<text x="${WIDTH - VALUE_WIDTH + 8}" y="${baseline}" fill="${color}">${escapeXml(`${formatValue(check.value, check.unit)} (goal ${formatGoal(goal)})${verdict}`)}</text>`,
    ].join('');
  });

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12" fill="${COLOR.text}">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="8" y="22" font-size="15" font-weight="bold">Strangler benchmarks: each ratio against its goal (log scale; black tick = goal)</text>`,
    `<text x="8" y="42" fill="#616161">${escapeXml(`${report.mode} mode, ${report.date.slice(0, 10)}, ${report.machine.cpuModel}, ${report.machine.cores} cores; medians of ${report.settings.rounds} interleaved round(s)`)}</text>`,
    ...grid,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
