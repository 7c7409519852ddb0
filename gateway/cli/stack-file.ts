/**
 * The stack file (`stack.yaml`): how `strangler up` runs the legacy app locally. The gateway knows nothing
 * else about the app it fronts.
 *
 * @example
 * const stack = loadStackFile('stack.yaml', process.env);
 * stack.legacy.command; // ['python3', 'legacy-python/serve.py']
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { expandEnv } from '../routes/env.ts';

const commandSchema = z.array(z.string().min(1)).min(1, 'give the program and its arguments as a list, e.g. [python3, app.py]');

const stackSchema = z.strictObject({
  env: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}),
  legacy: z.strictObject({
    command: commandSchema,
    prepare: z.strictObject({ command: commandSchema, creates: z.string().min(1) }).optional(),
  }),
});

export type StackFile = z.infer<typeof stackSchema>;

export class StackFileError extends Error {}

/** Load and validate the stack file; `${VAR}` references resolve against the file's env defaults plus `env`. */
export function loadStackFile(file: string, env: NodeJS.ProcessEnv): StackFile {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new StackFileError(`${file}: ${(err as Error).message}`);
  }
  const parsed = stackSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new StackFileError(lines.join('\n'));
  }
  const merged = { ...parsed.data.env, ...definedOnly(env) };
  const expand = (value: string): string => {
    const expanded = expandEnv(value, merged);
    if (expanded.ok) return expanded.value;
    const what = expanded.missing.length ? `\${${expanded.missing.join('}, ${')}} is not set` : `'${value}' has a malformed \${...} reference`;
    throw new StackFileError(`${file}: ${what}; set it in the environment or under env: in ${file}`);
  };
  const { legacy } = parsed.data;
  return {
    env: merged,
    legacy: {
      command: legacy.command.map(expand),
      prepare: legacy.prepare && { command: legacy.prepare.command.map(expand), creates: expand(legacy.prepare.creates) },
    },
  };
}

const definedOnly = (env: NodeJS.ProcessEnv): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
