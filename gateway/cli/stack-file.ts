/**
 * The stack file (`stack.yaml`, or the file named by STRANGLER_STACK): how `strangler up` runs the legacy
 * app as it is, how it knows the app is ready, and how it restarts a child that dies. The gateway knows
 * nothing else about the app it fronts. Relative paths (`cwd`, `routes`) are relative to the stack file.
 *
 * @example
 * const stack = loadStackFile('examples/flask/stack.yaml');
 * const legacy = resolveLegacy(stack, { LEGACY_PORT: '9000' });
 * legacy.command; // ['/usr/bin/python3', '-m', 'flask', 'run', '--port', '9000']
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { expandEnv } from '../routes/env.ts';
import type { RestartPolicy } from '../process/supervisor.ts';

const commandSchema = z
  .array(z.string().min(1), 'give the program and its arguments as a list, e.g. [python3, app.py]')
  .min(1, 'give the program and its arguments as a list, e.g. [python3, app.py]');
const envSchema = z.record(z.string(), z.union([z.string(), z.number()]).transform(String));
const seconds = (what: string) => z.number(`${what} is a number of seconds, e.g. 30`).positive(`${what} is a number of seconds above 0, e.g. 30`);

const stackSchema = z.strictObject({
  env: envSchema.default({}),
  routes: z.string().min(1).default('routes.yaml'),
  legacy: z.strictObject({
    command: commandSchema,
    cwd: z.string().min(1).default('.'),
    env: envSchema.default({}),
    ready: z
      .strictObject({
        http: z.string().startsWith('/', "http is the path of a health check, e.g. '/healthz' (any status below 500 means ready)").optional(),
        timeout: seconds('ready.timeout').default(30),
      })
      .default({ timeout: 30 }),
    prepare: z.strictObject({ command: commandSchema, creates: z.string().min(1) }).optional(),
  }),
  restart: z
    .strictObject({
      delay: seconds('restart.delay').default(0.5),
      max_delay: seconds('restart.max_delay').default(10),
      stable_after: seconds('restart.stable_after').default(10),
      give_up_after: z.number().int().positive('restart.give_up_after is a count of crashes, e.g. 5').default(5),
    })
    .default({ delay: 0.5, max_delay: 10, stable_after: 10, give_up_after: 5 }),
});

type StackSchema = z.infer<typeof stackSchema>;

/** A validated stack file; `${VAR}` references in `legacy` are resolved later, once the ports are known. */
export interface StackFile {
  readonly file: string;
  /** The stack file's directory: relative paths in it start here. */
  readonly dir: string;
  /** Defaults for every process of the stack; the environment wins. */
  readonly env: Readonly<Record<string, string>>;
  /** The route table named by the file (absolute). */
  readonly routes: string;
  readonly legacy: StackSchema['legacy'];
  readonly restart: RestartPolicy;
}

/** How to run the legacy app, every `${VAR}` resolved and every path absolute. */
export interface LegacySpec {
  readonly command: readonly [string, ...string[]];
  readonly cwd: string;
  /** The app's own variables (on top of the stack's environment). */
  readonly env: Readonly<Record<string, string>>;
  /** A health path answered below 500 once ready; TCP connect to LEGACY_PORT when absent. */
  readonly httpPath?: string;
  readonly readyTimeoutMs: number;
  readonly prepare?: { readonly command: readonly [string, ...string[]]; readonly creates: string };
}

export class StackFileError extends Error {
  override readonly name = 'StackFileError';
}

const KEYS = 'env, routes, legacy (command, cwd, env, ready, prepare), restart';

/** Read and validate the stack file; every problem is reported at once with where it is and the fix. */
export function loadStackFile(file: string): StackFile {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new StackFileError(`${file} does not exist; create it (see "Bring your own app" in README.md) or point STRANGLER_STACK at your stack file`);
    throw new StackFileError(`${file}: ${(err as Error).message}`);
  }
  const parsed = stackSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${file}: ${issue.path.join('.') || '(top level)'}: ${describeIssue(issue, raw)}`);
    throw new StackFileError(lines.join('\n'));
  }
  const { env, routes, legacy, restart } = parsed.data;
  const dir = dirname(resolve(file));
  return {
    file,
    dir,
    env,
    routes: resolve(dir, routes),
    legacy,
    restart: { delayMs: restart.delay * 1000, maxDelayMs: restart.max_delay * 1000, stableAfterMs: restart.stable_after * 1000, giveUpAfter: restart.give_up_after },
  };
}

const valueAt = (raw: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>((value, key) => (typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined), raw);

const describeIssue = (issue: z.core.$ZodIssue, raw: unknown): string => {
  if (issue.code === 'unrecognized_keys') return `unknown key ${issue.keys.map((key) => `'${key}'`).join(', ')}; the keys are ${KEYS}`;
  if (issue.code === 'invalid_type' && valueAt(raw, issue.path) === undefined)
    return `missing; ${issue.path.at(-1) === 'legacy' ? 'say how to run the app under legacy: { command: [...] }' : 'add it'}`;
  return issue.message;
};

/** Resolve `${VAR}` references of the legacy section against `env` (the stack's final environment). */
export function resolveLegacy(stack: StackFile, env: Readonly<Record<string, string | undefined>>): LegacySpec {
  const expand = (value: string): string => {
    const expanded = expandEnv(value, env);
    if (expanded.ok) return expanded.value;
    const what = expanded.missing.length ? `\${${expanded.missing.join('}, ${')}} is not set` : `'${value}' has a malformed \${...} reference`;
    throw new StackFileError(`${stack.file}: ${what}; set it in the environment or under env: in ${stack.file}`);
  };
  const expandAll = (command: readonly string[]) => command.map(expand) as unknown as readonly [string, ...string[]];
  const { legacy } = stack;
  const cwd = resolve(stack.dir, expand(legacy.cwd));
  if (!existsSync(cwd)) throw new StackFileError(`${stack.file}: legacy.cwd: ${cwd} does not exist; name the app's folder, relative to ${stack.dir}`);
  return {
    command: expandAll(legacy.command),
    cwd,
    env: Object.fromEntries(Object.entries(legacy.env).map(([name, value]) => [name, expand(value)])),
    ...(legacy.ready.http ? { httpPath: expand(legacy.ready.http) } : {}),
    readyTimeoutMs: legacy.ready.timeout * 1000,
    ...(legacy.prepare ? { prepare: { command: expandAll(legacy.prepare.command), creates: resolve(cwd, expand(legacy.prepare.creates)) } } : {}),
  };
}
