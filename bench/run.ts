/**
 * `npm run bench`: run every scenario whose feature has landed, side by side and interleaved, and
 * write bench/results/latest.{json,md,svg} (and the tables into bench/README.md).
 *
 * @example
 * npm run bench                                   # full: 3 rounds of 5 s, bench seed (~10 minutes)
 * npm run bench -- --quick --out /tmp/bench       # quick: what CI runs, about a minute
 * npm run bench -- --only hono-tax,nginx-hop      # some scenarios
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { ROOT } from '../test/helpers/processes.ts';
import { BenchRun } from './lib/context.ts';
import { describeMachine, describeRevision } from './lib/machine.ts';
import { DEFAULT_OUT_DIR, parseOptions, USAGE, type BenchOptions } from './lib/options.ts';
import { markdownTables, updateReadme, writeReport } from './lib/report/index.ts';
import type { BenchReport, PendingScenario, Scenario, ScenarioReport } from './lib/types.ts';
import { isPending, SCENARIOS } from './scenarios/index.ts';

const log = (message: string): void => console.log(message);

function choose(only: readonly string[] | null): (Scenario | PendingScenario)[] {
  if (only === null) return [...SCENARIOS];
  const unknown = only.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length) throw new Error(`no scenario named ${unknown.join(', ')}; the scenarios are ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return SCENARIOS.filter((scenario) => only.includes(scenario.name));
}

/** The command as a reader would retype it, environment overrides included. */
function commandLine(argv: readonly string[]): string {
  const overrides = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${value} `)
    .join('');
  const viaNpm = process.env.npm_lifecycle_event === 'bench';
  const args = argv.join(' ');
  return `${overrides}${viaNpm ? `npm run bench${args ? ` -- ${args}` : ''}` : `node --import tsx bench/run.ts${args ? ` ${args}` : ''}`}`;
}

async function runScenario(run: BenchRun, scenario: Scenario | PendingScenario): Promise<ScenarioReport> {
  const about = { name: scenario.name, title: scenario.title, goal: scenario.goal, measuredAs: scenario.measuredAs };
  if (isPending(scenario)) return { ...about, status: 'not landed', reason: scenario.reason };
  const { ctx, scope } = run.scenario();
  const unavailable = scenario.unavailable?.(ctx) ?? null;
  if (unavailable !== null) return { ...about, status: 'skipped', reason: unavailable };
  log(`\n━━ ${scenario.title}: ${scenario.measuredAs} ━━`);
  const started = performance.now();
  try {
    const result = await scenario.run(ctx);
    return { ...about, status: 'measured', seconds: (performance.now() - started) / 1000, ...result };
  } catch (err) {
    log(`${scenario.name} failed: ${(err as Error).stack ?? String(err)}`);
    return { ...about, status: 'failed', reason: (err as Error).message.split('\n')[0], seconds: (performance.now() - started) / 1000 };
  } finally {
    await scope.close();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions;
  let scenarios: (Scenario | PendingScenario)[];
  try {
    options = parseOptions(argv, process.env);
    scenarios = choose(options.only);
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const started = performance.now();
  const run = new BenchRun(options, log);
  // Ctrl-C stops every process the run started before exiting; a second one exits at once.
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130);
    stopping = true;
    log(`\n${signal}: stopping the processes this run started...`);
    void run.close().finally(() => process.exit(130));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  log(`bench: ${options.mode} mode, ${options.rounds} round(s) of ${options.seconds} s, ${options.connections} connections, ${options.driver}, ${run.frontDoor} front door`);
  const reports: ScenarioReport[] = [];
  try {
    for (const scenario of scenarios) {
      const report = await runScenario(run, scenario);
      // Interrupted: what was measured is partial, so nothing is written over the last results.
      if (stopping) return 130;
      reports.push(report);
    }
  } finally {
    await run.close();
  }

  const report: BenchReport = {
    date: new Date().toISOString(),
    mode: options.mode,
    command: commandLine(argv),
    revision: describeRevision(),
    machine: describeMachine(),
    settings: {
      rounds: options.rounds,
      seconds: options.seconds,
      warmupSeconds: options.warmupSeconds,
      connections: options.connections,
      driver: options.driver,
      frontDoor: run.frontDoor,
      seed: options.seed,
      threadId: options.threadId,
    },
    seconds: (performance.now() - started) / 1000,
    scenarios: reports,
  };
  const files = writeReport(report, options.out);
  if (options.out === DEFAULT_OUT_DIR) updateReadme(join(ROOT, 'bench/README.md'), report);
  log(`\n${markdownTables(report)}\n\nwrote ${files.join(', ')}`);
  const failed = reports.filter((r) => r.status === 'failed');
  if (failed.length) log(`bench: ${failed.map((r) => r.name).join(', ')} failed; see above`);
  return failed.length ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
