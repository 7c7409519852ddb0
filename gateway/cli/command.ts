/**
 * What every command of the control plane shares: its context (configuration, output, who runs it), the
 * one error for a command line written wrong, the options parser, and how a route named on the command
 * line is found in the table.
 *
 * @example
 * const args = new Args(['/api/v1/threads', '--why', 'parity']);
 * args.positional('the route'); // '/api/v1/threads'
 * args.option('--why');         // 'parity'
 * findRoute(table, '=/api/v1/me'); // the exact route on /api/v1/me
 */
import type { GatewayConfig } from '../config/index.ts';
import type { Route, RouteTable } from '../routes/types.ts';

export interface CommandContext {
  readonly config: GatewayConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly print: (line: string) => void;
  /** For what is not the command's answer (stderr). */
  readonly warn: (line: string) => void;
  /** Who runs the command: `--who`, else the user from the environment. */
  readonly who: string;
}

/** A command line that cannot run as written; the message says how to write it. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

/** Options and positionals of a command line, taken out one by one. */
export class Args {
  readonly #rest: string[];
  constructor(args: readonly string[]) {
    this.#rest = [...args];
  }
  option(name: string): string | undefined {
    const at = this.#rest.indexOf(name);
    if (at === -1) return undefined;
    const value = this.#rest[at + 1];
    if (value === undefined || value.startsWith('--')) throw new CommandError(`${name} needs a value`);
    this.#rest.splice(at, 2);
    return value;
  }
  flag(name: string): boolean {
    const at = this.#rest.indexOf(name);
    if (at !== -1) this.#rest.splice(at, 1);
    return at !== -1;
  }
  positional(what: string): string {
    const at = this.#rest.findIndex((arg) => !arg.startsWith('--'));
    if (at === -1) throw new CommandError(`give ${what}`);
    return this.#rest.splice(at, 1)[0]!;
  }
  done(): void {
    if (this.#rest.length > 0) throw new CommandError(`unexpected ${this.#rest.map((arg) => `'${arg}'`).join(', ')}`);
  }
}

/** The route a command names: `=/p` the exact route on /p, `/p` the prefix route on it (or the one route there). */
export const findRoute = (table: RouteTable | null, path: string): Route | undefined => {
  const exact = path.startsWith('=');
  const bare = path.replace(/^=\s*/, '');
  const same = table?.routes.filter((r) => r.path === bare) ?? [];
  return exact ? same.find((r) => r.exact) : (same.find((r) => !r.exact) ?? same[0]);
};
