/**
 * What a scenario gets to work with: the settings, a temporary directory, a load driver that warms
 * each URL once, and two lifetimes for the processes it starts: its own (stopped when the scenario
 * ends) and the run's (shared by every scenario, stopped at the end or on Ctrl-C).
 *
 * @example
 * const legacy = await ctx.shared('legacy', () => startLegacy(ctx.env({ FORUM_DB: db })));
 * const gunicorn = await ctx.own(startGunicorn(ctx, env));
 * const result = await ctx.load(`${gunicorn.url}/api/v1/threads/1000`);
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NGINX, type FrontDoorKind } from '../../test/helpers/stack.ts';
import { tempDir } from '../../test/helpers/processes.ts';
import { runLoad, type LoadOptions } from './load.ts';
import type { BenchOptions } from './options.ts';
import type { LoadResult } from './types.ts';

const CPU_PROFILE_PRELOAD = fileURLToPath(new URL('./cpu-profile.mjs', import.meta.url));

export interface Stoppable {
  stop(): Promise<void>;
}

export interface BenchContext {
  readonly options: BenchOptions;
  /** nginx when it can run here (binary and headers-more module), the Node edge otherwise. */
  readonly frontDoor: FrontDoorKind;
  log(message: string): void;
  /** A fresh directory under this run's temporary directory. */
  subdir(name: string): string;
  /** The environment every server of the run gets, plus `extra`: quiet logs, and CPU profiles when asked. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Keep what `started` resolves to until this scenario ends. */
  own<T extends Stoppable>(started: Promise<T>): Promise<T>;
  /** Start it once per run under `key` and share it between scenarios. */
  shared<T extends Stoppable>(key: string, start: () => Promise<T>): Promise<T>;
  /** One recorded load run; the first run at a URL is preceded by an unrecorded warm-up. */
  load(url: string, options?: Partial<LoadOptions>): Promise<LoadResult>;
}

/** Things to stop, stopped last-started first; a failing stop is logged and the rest still run. */
export class Scope {
  readonly #stops: (() => Promise<void>)[] = [];
  readonly #log: (message: string) => void;

  constructor(log: (message: string) => void) {
    this.#log = log;
  }

  async own<T extends Stoppable>(started: Promise<T>): Promise<T> {
    const thing = await started;
    this.#stops.push(() => thing.stop());
    return thing;
  }

  async close(): Promise<void> {
    for (const stop of this.#stops.splice(0).reverse()) {
      await stop().catch((err: unknown) => this.#log(`stopping a process failed: ${(err as Error).message}`));
    }
  }
}

/** The run: owns the temporary directory and the shared processes. */
export class BenchRun {
  readonly options: BenchOptions;
  readonly frontDoor: FrontDoorKind = NGINX.ok ? 'nginx' : 'edge';
  readonly log: (message: string) => void;
  readonly #scope: Scope;
  readonly #scenarioScopes: Scope[] = [];
  readonly #shared = new Map<string, Promise<Stoppable>>();
  readonly #warm = new Set<string>();
  readonly #dir: { dir: string; cleanup: () => void };
  #subdirs = 0;

  constructor(options: BenchOptions, log: (message: string) => void) {
    this.options = options;
    this.log = log;
    this.#scope = new Scope(log);
    this.#dir = tempDir('strangler-bench-');
  }

  /** A context for one scenario and the scope that stops what it started. */
  scenario(): { ctx: BenchContext; scope: Scope } {
    const scope = new Scope(this.log);
    this.#scenarioScopes.push(scope);
    const ctx: BenchContext = {
      options: this.options,
      frontDoor: this.frontDoor,
      log: this.log,
      subdir: (name) => this.#subdir(name),
      env: (extra = {}) => this.#env(extra),
      own: (started) => scope.own(started),
      shared: (key, start) => this.#sharedOne(key, start),
      load: (url, options) => this.#load(url, options),
    };
    return { ctx, scope };
  }

  /** Stop what any scenario left running (after Ctrl-C), every shared process, and remove the temporary directory. */
  async close(): Promise<void> {
    for (const scope of this.#scenarioScopes.splice(0).reverse()) await scope.close();
    await this.#scope.close();
    this.#dir.cleanup();
  }

  #subdir(name: string): string {
    const dir = join(this.#dir.dir, `${++this.#subdirs}-${name}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  #env(extra: Record<string, string>): Record<string, string> {
    const env: Record<string, string> = { LOG_LEVEL: 'warn' };
    const profiles = this.options.cpuProfDir;
    if (profiles !== null) {
      env.BENCH_CPU_PROF_DIR = profiles;
      env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${CPU_PROFILE_PRELOAD}`.trim();
    }
    return { ...env, ...extra };
  }

  #sharedOne<T extends Stoppable>(key: string, start: () => Promise<T>): Promise<T> {
    let started = this.#shared.get(key);
    if (started === undefined) {
      started = this.#scope.own(start());
      this.#shared.set(key, started);
      // A failed start is not cached: the next scenario may try again (and report its own failure).
      started.catch(() => this.#shared.delete(key));
    }
    return started as Promise<T>;
  }

  async #load(url: string, options: Partial<LoadOptions> = {}): Promise<LoadResult> {
    const { driver, seconds, warmupSeconds, connections } = this.options;
    const settings = { seconds, connections, ...options };
    // A signed-in load of a URL warms what a guest's does not (the session's lookups).
    const warmKey = `${url} ${JSON.stringify(options.headers ?? {})}`;
    if (!this.#warm.has(warmKey) && warmupSeconds > 0) {
      await runLoad(driver, url, { ...settings, seconds: warmupSeconds });
      this.#warm.add(warmKey);
    }
    return runLoad(driver, url, settings);
  }
}
