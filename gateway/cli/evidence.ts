/**
 * The evidence side of the commands: each route's evidence and gate for `status`, and `diff <route>`,
 * the recorded mismatch classes with their samples, the ignore rules in force and the noise measured.
 *
 * @example
 * npx strangler status              # a block per route on trial: parity, shadow copies, traffic, the gate
 * npx strangler diff /api/v1/threads # mismatch classes, samples, ignore rules, noise and suggested rules
 */
import { readFileSync } from 'node:fs';
import { checkSuggestion, suggestIgnoreRules, type NoiseStats } from '../compare/index.ts';
import { openAuditLog } from '../control/audit.ts';
import { judgeRoute } from '../control/evidence-window.ts';
import { stateFileIn } from '../control/state-db.ts';
import { count, ms as millis, percent as pct } from '../evidence/format.ts';
import { openEvidence, type GateStep, type GateVerdict, type RouteEvidence, type SideStats } from '../evidence/index.ts';
import { parseRouteTable } from '../routes/index.ts';
import type { Route, RouteTable } from '../routes/types.ts';
import { Args, CommandError, findRoute, type CommandContext } from './command.ts';

/** One route in `status`: what the table says, the evidence of its window, and the gate on its next step. */
export interface RouteReport {
  readonly route: string;
  readonly mode: Route['mode'];
  readonly percent: number | null;
  readonly handler: string | null;
  readonly methods: readonly string[] | null;
  readonly evidence: RouteEvidence & { readonly basis: string };
  readonly gate: { readonly step: GateStep; readonly verdict: GateVerdict['verdict']; readonly reasons: readonly string[] } | null;
}

export function routeReports(table: RouteTable, ctx: CommandContext): RouteReport[] {
  const stateFile = stateFileIn(ctx.config.stateDir);
  const audit = openAuditLog(stateFile);
  const store = openEvidence(stateFile);
  try {
    const nowMs = Date.now();
    return table.routes.map((route) => {
      const judged = judgeRoute({ route, audit, store, nowMs });
      return {
        route: `${route.exact ? '= ' : ''}${route.path}`,
        mode: route.mode,
        percent: route.percent,
        handler: route.handler,
        methods: route.methods,
        evidence: { ...judged.window, basis: judged.basis },
        gate: judged.step && judged.verdict ? { step: judged.step, verdict: judged.verdict.verdict, reasons: judged.verdict.reasons } : null,
      };
    });
  } finally {
    store.close();
    audit.close();
  }
}

export const hasEvidence = (e: RouteEvidence): boolean => e.comparisons.total + e.sides.legacy.requests + e.sides.ts.requests + e.shadow.sent + e.fallbacks.total > 0;

export function printEvidence({ route, mode, percent, evidence: e, gate }: RouteReport, print: (line: string) => void): void {
  const c = e.comparisons;
  const s = e.shadow;
  const side = (stats: SideStats): string =>
    stats.requests === 0
      ? 'no requests'
      : `${count(stats.requests)} requests, errors ${count(stats.errors)} (${pct(stats.errorRate)}), p50 ${ms(stats.p50Ms)}, p99 ${ms(stats.p99Ms)}`;
  print('');
  print(`${route} (${mode}${percent !== null ? ` ${percent}%` : ''}), evidence ${e.basis}:`);
  print(
    `  parity     ${
      c.total === 0
        ? 'no comparisons'
        : `${count(c.total)} comparisons, ${count(c.mismatches)} mismatched (${pct(c.mismatchRate)}, upper bound ${pct(c.upperBound)}), ${count(c.noise)} differed only where legacy differs from itself (noise)`
    }`,
  );
  print(
    `  shadow     sent ${count(s.sent)}; dropped ${count(s.droppedConcurrency)} (concurrency cap); skipped ${count(s.skippedSample)} (sample), ${count(s.skippedMethod)} (method); too large ${count(s.tooLarge)}; failed ${count(s.failed)}`,
  );
  print(`  legacy     ${side(e.sides.legacy)}`);
  print(`  ts         ${side(e.sides.ts)}`);
  print(
    `  fallbacks  ${count(e.fallbacks.total)}${
      e.fallbacks.total > 0
        ? ` (${Object.entries(e.fallbacks.byDoor)
            .map(([door, n]) => `${door} ${count(n)}`)
            .join(', ')})`
        : ''
    }`,
  );
  if (gate === null) print('  gate       in mode next: no step left (rollback is always accepted)');
  else {
    print(`  gate       promote to ${gate.step}: ${gate.verdict}`);
    for (const reason of gate.reasons) print(`             ${reason}`);
  }
}

const ms = (value: number | null): string => (value === null ? '-' : millis(value));

/** How much of a sample body `diff` shows. */
const EXCERPT_CHARS = 300;
const excerpt = (body: string, truncated: boolean): string => {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT_CHARS || truncated ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat;
};
const when = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** `diff <route>`: the recorded mismatch classes with their samples, the ignore rules in force, and the noise measured. */
export function diff(argv: readonly string[], ctx: CommandContext): number {
  const args = new Args(argv);
  const path = args.positional('the route, e.g. /api/v1/threads');
  const json = args.flag('--json');
  args.done();
  const routesFile = ctx.config.routesFile;
  const table = parseRouteTable(readFileSync(routesFile, 'utf8'), routesFile, ctx.env);
  const route = findRoute(table, path);
  if (route === undefined) throw new CommandError(`there is no route '${path}' in ${routesFile}; \`npx strangler status\` lists them`);
  const stateFile = stateFileIn(ctx.config.stateDir);
  const audit = openAuditLog(stateFile);
  const store = openEvidence(stateFile);
  try {
    const nowMs = Date.now();
    const classes = store.classes(route.path);
    const judged = judgeRoute({ route, audit, store, nowMs });
    const rules = route.compare.ignore.map((rule) => ({ ...rule, expired: rule.expiresAt !== null && rule.expiresAt * 1000 <= nowMs }));
    const noise = judged.window.noise;
    if (json) {
      ctx.print(JSON.stringify({ route: path, classes, ignore: rules, noise: { ...noise, basis: judged.basis } }, null, 2));
      return 0;
    }
    ctx.print(`${path}: ${classes.length === 0 ? 'no mismatches recorded' : `${classes.length} mismatch class${classes.length === 1 ? '' : 'es'}`} (all kept evidence)`);
    for (const c of classes) {
      ctx.print('');
      ctx.print(`${c.classKey}  ${count(c.count)} times, first ${when(c.firstSeen)}, last ${when(c.lastSeen)}`);
      ctx.print(`  legacy: ${c.legacy}`);
      ctx.print(`  ts:     ${c.ts}`);
      for (const sample of c.samples) {
        ctx.print(`  sample: ${sample.request.method} ${sample.request.target} at ${when(sample.at)} (revision ${sample.revision})`);
        ctx.print(`    legacy ${sample.legacy.status} ${excerpt(sample.legacy.body, sample.legacy.bodyTruncated)}`);
        ctx.print(`    ts     ${sample.ts.status} ${excerpt(sample.ts.body, sample.ts.bodyTruncated)}`);
      }
    }
    ctx.print('');
    ctx.print(rules.length === 0 ? `ignore rules: none (routes.yaml, ${path} compare.ignore)` : 'ignore rules in force (routes.yaml):');
    for (const r of rules) {
      const expiry = r.expiresAt === null ? 'no expiry' : `${r.expired ? 'EXPIRED' : 'expires'} ${when(r.expiresAt * 1000).slice(0, 10)}`;
      ctx.print(
        `  ${r.kind} ${r.target}  owner ${r.owner}, ${expiry}${r.why ? `, why: ${r.why}` : ''} (line ${r.line})${r.expired ? ': it hides nothing now; renew it or remove it' : ''}`,
      );
    }
    ctx.print('');
    ctx.print(
      noise.checks === 0
        ? `noise: legacy was not asked twice yet (${judged.basis})`
        : `noise: legacy asked twice ${count(noise.checks)} times (${judged.basis}); what differed between its own two answers:`,
    );
    for (const line of noiseLines(noise)) ctx.print(`  ${line}`);
    return 0;
  } finally {
    store.close();
    audit.close();
  }
}

/** Each noisy class with the ignore rule the compare engine suggests for it, or why it suggests none. */
function noiseLines(noise: RouteEvidence['noise']): string[] {
  const stats: NoiseStats = { checks: noise.checks, noisyPaths: noise.noisyPaths, stablePaths: noise.stablePaths.map((s) => s.classKey) };
  const suggested = new Map(suggestIgnoreRules(stats).map((rule) => [rule.classKey, rule]));
  return noise.noisyPaths.map(({ classKey, count: n }) => {
    const rule = suggested.get(classKey);
    if (rule) return `${classKey}  in ${count(n)} checks; suggested: - { ${rule.kind}: ${rule.target}, owner: <you>, why: "differs between two legacy answers" }`;
    const [kind = '', ...rest] = classKey.split(' ');
    const target = rest.join(' ');
    const check = kind === 'body-json' ? checkSuggestion({ kind: 'pointer', target }, stats) : kind === 'header' ? checkSuggestion({ kind: 'header', target }, stats) : null;
    return `${classKey}  in ${count(n)} checks; no rule suggested: ${check && !check.ok ? check.reason : 'an ignore rule names a JSON pointer or a header, not this'}`;
  });
}
