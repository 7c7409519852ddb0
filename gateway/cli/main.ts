/**
 * The `strangler` command line.
 *
 * @example
 * npx strangler validate            # check routes.yaml, print every problem with its fix
 * npx strangler routes              # show which backend serves each route
 * npx strangler nginx               # write nginx/generated/nginx.conf from routes.yaml
 * npx strangler up                  # run the whole stack (what `npm start` does)
 * npx strangler set /api/v1/me next --handler users --why "parity passes"   # move a route, on the running stack
 * npx strangler status              # each route with its evidence, and the revision every process serves
 * npx strangler promote /api/v1/threads --why "parity holds"   # one step, when the route's gate passes
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, readConfig, type GatewayConfig } from '../config/index.ts';
import { loadRouteTable, RouteTableError } from '../routes/index.ts';
import type { RouteTable } from '../routes/types.ts';
import { writeNginxConfig } from '../nginx/index.ts';
import { changeRoute, checkText, CommandError, log, reload, status, type CommandContext } from './control.ts';
import { diff } from './evidence.ts';
import { connectStack } from '../control/socket.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const USAGE = `usage: strangler <command> [options]

commands:
  up                      start legacy, the TS server and a front door; Ctrl-C stops them
  validate [routes.yaml]  check a route table; exit 1 and list every problem if it is invalid
  routes [routes.yaml]    print the table: each route, its mode, handler, methods and backend
  nginx [--listen HOST:PORT] [--routes FILE]
                          write the nginx config generated from the table; prints its path
  status [--json]         each route with its evidence (parity, shadow copies, traffic, errors, p50/p99
                          per side, fallbacks) and the gate's verdict on its next step; the revision
                          every process of the running stack serves, and whether they agree (exit 1 if not)
  set <route> <mode> [--percent N] [--methods GET,HEAD] [--handler NAME] --why "..."
                          set a route's mode (legacy, shadow, canary with --percent, next), add the
                          route if there is none; a running stack applies it and waits until every
                          process serves it. Not gated: promote is
  promote <route> [--percent N] [--handler NAME] [--wait SECONDS] [--force] --why "..."
                          one step, legacy -> shadow -> canary (--percent, default 10) -> next, when the
                          route's gate passes on its evidence; a canary with --percent N is raised to N.
                          Refused when the verdict is inconclusive or fail, unless --force (audited);
                          --wait: while it is inconclusive, judge again as evidence comes, up to SECONDS
  rollback <route> [--why "..."]
                          back to legacy, dropping handler and methods: always accepted
  diff <route> [--json]   the route's recorded mismatch classes with redacted samples, its ignore rules
                          (an expired one flagged) and the noise measured, with suggested ignore rules
  reload [--code] [--why "..."]
                          apply routes.yaml as it is (after a hand edit); --code: restart the TS
                          workers one at a time, so new handler code goes live
  log [--route ROUTE] [--json] [--limit N]
                          the audit log of every change, newest first
  <route> is a path as routes.yaml writes it; =/path names the exact route when a prefix route
  has the same path. --who NAME says who runs a command (default: $USER).

environment: ROUTES (route table, default routes.yaml), FRONT_HOST, FRONT_PORT, STRANGLER_PAGES_DIR,
             STRANGLER_FRONT_DOOR=auto|nginx|edge, STRANGLER_STACK (whose env: and routes: the other
             commands read too), STRANGLER_STATE_DIR (audit log and control socket, default .strangler);
             see gateway/config`;

function loadTable(config: GatewayConfig, file: string | undefined): RouteTable {
  return loadRouteTable(file === undefined ? config.routesFile : resolve(file), process.env);
}

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at === -1) return undefined;
  const value = args[at + 1];
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
  args.splice(at, 2);
  return value;
}

class UsageError extends Error {}

function describe(table: RouteTable): string {
  const rows = table.routes.map((route) => [
    route.exact ? `= ${route.path}` : route.path,
    route.percent === null ? route.mode : `${route.mode} ${route.percent}%`,
    route.handler ?? '-',
    route.methods?.join(',') ?? 'all',
    `${route.backend} (${table.backends[route.backend].url})`,
  ]);
  const header = ['path', 'mode', 'handler', 'methods', 'front door sends to'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * The environment of the commands other than `up`: the stack file's `env:` and `routes:` as defaults
 * (what `up` gives its children), so they read the same table, services module and state directory.
 */
async function commandEnv(env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  const stackFile = readConfig(env, process.cwd()).stackFile;
  if (!existsSync(stackFile)) return env;
  // Loaded when there is a stack file: its schema (zod) is a good part of a command's start.
  const { loadStackFile } = await import('./stack-file.ts');
  const stack = loadStackFile(stackFile);
  return { ROUTES: stack.routes, ...stack.env, ...env };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Loaded for `up` only: the other commands start faster without the servers' modules.
  if (command === 'up') return (await import('./up.ts')).up({ root: ROOT, cwd: process.cwd(), env: process.env });
  const args = [...rest];
  const env = await commandEnv(process.env);
  const config = readConfig(env, process.cwd());
  const ctx: CommandContext = {
    config,
    env,
    print: (line) => console.log(line),
    warn: (line) => console.error(line),
    who: option(args, '--who') ?? env.STRANGLER_USER ?? env.USER ?? env.LOGNAME ?? 'unknown',
  };
  switch (command) {
    case 'validate': {
      const file = args[0] === undefined ? config.routesFile : resolve(args[0]);
      const table = loadTable(config, file);
      const problems = await checkText(readFileSync(file, 'utf8'), file, args[0] === undefined ? await connectStack(config.stateDir) : null, ctx);
      if (problems.length > 0) {
        console.error(problems.join('\n'));
        return 1;
      }
      console.log(`${table.source}: ok, ${table.routes.length} routes`);
      return 0;
    }
    case 'status':
      return status(args, ctx);
    case 'set':
    case 'promote':
    case 'rollback':
      return changeRoute(command, args, ctx);
    case 'reload':
      return reload(args, ctx);
    case 'log':
      return log(args, ctx);
    case 'diff':
      return diff(args, ctx);
    case 'routes':
      console.log(describe(loadTable(config, args[0])));
      return 0;
    case 'nginx': {
      const listen = option(args, '--listen') ?? `${config.front.host}:${config.front.port}`;
      const routes = option(args, '--routes');
      const match = /^(.+):(\d+)$/.exec(listen);
      if (!match) throw new UsageError(`--listen takes HOST:PORT, e.g. 127.0.0.1:8080; got '${listen}'`);
      const path = writeNginxConfig(loadTable(config, routes), {
        listenHost: match[1]!,
        listenPort: Number(match[2]),
        prefix: resolve(ROOT, 'nginx/run'),
        pagesDir: config.pagesDir,
        answeredBy: config.answeredBy,
      });
      console.log(path);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof RouteTableError || err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    if (err instanceof Error && err.name === 'StackFileError') {
      console.error(err.message);
      process.exit(1);
    }
    if (err instanceof UsageError || err instanceof CommandError) {
      console.error(`strangler: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  },
);
