/**
 * The benchmark's settings: the mode picks defaults, the environment and the command line override them.
 *
 * @example
 * parseOptions(['--quick', '--only', 'hono-tax'], process.env);
 * // { mode: 'quick', rounds: 1, seconds: 2, only: ['hono-tax'], out: '<root>/bench/results', ... }
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../../test/helpers/processes.ts';

export type Mode = 'quick' | 'full';
export type Driver = 'wrk' | 'autocannon';
export type SeedSize = 'tiny' | 'demo' | 'bench';

export interface BenchOptions {
  readonly mode: Mode;
  /** Interleaved rounds: every configuration of a scenario runs once per round. */
  readonly rounds: number;
  /** Length of one load run (wrk takes whole seconds). */
  readonly seconds: number;
  /** A first, unrecorded run per URL, so the JIT and the connection pools are warm. */
  readonly warmupSeconds: number;
  /** Connections for throughput runs; latency runs use one. */
  readonly connections: number;
  readonly driver: Driver;
  readonly seed: SeedSize;
  /** The thread whose JSON the endpoint scenarios ask for; it must exist in the seed. */
  readonly threadId: number;
  readonly only: readonly string[] | null;
  readonly out: string;
  /** Write a V8 CPU profile of every Node server the run starts into this directory. */
  readonly cpuProfDir: string | null;
  /** Idle connections the live scenarios hold, one measurement per size (BENCH_LIVE_SIZES). */
  readonly liveSizes: readonly number[];
  /** Whether the live scenario measures legacy's feed beside TS (BENCH_LIVE_LEGACY=0: TS only). */
  readonly liveLegacy: boolean;
  /** The live soak: rounds of connecting and disconnecting this many clients (BENCH_LIVE_SOAK, e.g. 20x1000). */
  readonly liveSoak: { readonly rounds: number; readonly connections: number };
}

export const DEFAULT_OUT_DIR = resolve(ROOT, 'bench/results');

// The long thread of each seed size (seed.py puts it at thread_count // 2 + 1) has a full page of posts;
// in the bench seed thread 1000 is an ordinary one, as the first measurement used.
const THREAD_OF_SEED: Record<SeedSize, number> = { tiny: 7, demo: 31, bench: 1000 };

const DEFAULTS = {
  quick: { rounds: 1, seconds: 1, warmupSeconds: 1, seed: 'tiny', liveSizes: '50', liveSoak: '3x50' },
  full: { rounds: 3, seconds: 5, warmupSeconds: 2, seed: 'bench', liveSizes: '1000,5000,10000', liveSoak: '20x1000' },
} as const satisfies Record<Mode, { rounds: number; seconds: number; warmupSeconds: number; seed: SeedSize; liveSizes: string; liveSoak: string }>;

export const USAGE = `usage: npm run bench -- [--quick | --full] [--only NAME,...] [--out DIR] [--rounds N] [--seconds N]
                      [--connections N] [--cpu-prof DIR]
  --quick        1 round of short runs on the tiny seed (CI); default: the full mode (3 rounds of 5 s, bench seed)
  --only         run only these scenarios (names as in bench/scenarios/index.ts)
  --out          where latest.json, latest.md and latest.svg go (default bench/results)
  --cpu-prof     write a CPU profile of each Node server started into DIR (node --cpu-prof)
environment: BENCH_ROUNDS, BENCH_SECONDS, BENCH_WARMUP_SECONDS, BENCH_CONNECTIONS,
  BENCH_DRIVER (wrk | autocannon), BENCH_SEED (tiny | demo | bench), BENCH_THREAD_ID,
  BENCH_LIVE_SIZES (idle live connections, e.g. 1000,5000,10000), BENCH_LIVE_LEGACY (0: not legacy's feed),
  BENCH_LIVE_SOAK (rounds x connections, e.g. 20x1000)`;

/** Parse argv (without node and the script) and the environment; throws a message naming the bad value. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean' },
      full: { type: 'boolean' },
      only: { type: 'string' },
      out: { type: 'string' },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      connections: { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
    strict: true,
  });
  if (values.quick && values.full) throw new Error('--quick and --full exclude each other; pick one');
  const mode: Mode = values.quick ? 'quick' : 'full';
  const defaults = DEFAULTS[mode];
  const seed = (env.BENCH_SEED ?? defaults.seed) as SeedSize;
  if (!(seed in THREAD_OF_SEED)) throw new Error(`BENCH_SEED=${seed} is not a seed size; use tiny, demo or bench`);
  const driver = (env.BENCH_DRIVER ?? (hasWrk() ? 'wrk' : 'autocannon')) as Driver;
  if (driver !== 'wrk' && driver !== 'autocannon') throw new Error(`BENCH_DRIVER=${driver} is not a load driver; use wrk or autocannon`);
  return {
    mode,
    rounds: positiveInt('rounds', values.rounds ?? env.BENCH_ROUNDS, defaults.rounds),
    seconds: positiveInt('seconds', values.seconds ?? env.BENCH_SECONDS, defaults.seconds),
    warmupSeconds: positiveInt('warmup seconds', env.BENCH_WARMUP_SECONDS, defaults.warmupSeconds, 0),
    connections: positiveInt('connections', values.connections ?? env.BENCH_CONNECTIONS, 16),
    driver,
    seed,
    threadId: positiveInt('thread id', env.BENCH_THREAD_ID, THREAD_OF_SEED[seed]),
    only: values.only
      ? values.only
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean)
      : null,
    out: resolve(values.out ?? DEFAULT_OUT_DIR),
    cpuProfDir: values['cpu-prof'] ? resolve(values['cpu-prof']) : null,
    liveSizes: (env.BENCH_LIVE_SIZES || defaults.liveSizes).split(',').map((size) => positiveInt('BENCH_LIVE_SIZES entry', size.trim(), 0)),
    liveLegacy: env.BENCH_LIVE_LEGACY !== '0',
    liveSoak: parseSoak(env.BENCH_LIVE_SOAK || defaults.liveSoak),
  };
}

function parseSoak(text: string): BenchOptions['liveSoak'] {
  const match = /^(\d+)x(\d+)$/.exec(text.trim());
  if (!match) throw new Error(`BENCH_LIVE_SOAK=${text} is not rounds x connections; write it like 20x1000`);
  return { rounds: positiveInt('BENCH_LIVE_SOAK rounds', match[1], 0), connections: positiveInt('BENCH_LIVE_SOAK connections', match[2], 0) };
}

function positiveInt(what: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${what} must be a whole number ≥ ${min}, got '${text}'`);
  return value;
}

/** Whether wrk is on PATH (it drives load with far less CPU than a Node client). */
export const hasWrk = (): boolean => spawnSync('wrk', ['-v']).error === undefined;
