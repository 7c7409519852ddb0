/**
 * The `strangler` command line.
 *
 * @example
 * npx strangler validate            # check routes.yaml, print every problem with its fix
 * npx strangler routes              # show which backend serves each route
 * npx strangler nginx               # write nginx/generated/nginx.conf from routes.yaml
 * npx strangler up                  # run the whole stack (what `npm start` does)
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, readConfig, type GatewayConfig } from '../config/index.ts';
import { loadRouteTable, RouteTableError } from '../routes/index.ts';
import type { RouteTable } from '../routes/types.ts';
import { writeNginxConfig } from '../nginx/index.ts';
import { up } from './up.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const USAGE = `usage: strangler <command> [options]

commands:
  up                      start legacy, the TS server and a front door; Ctrl-C stops them
  validate [routes.yaml]  check a route table; exit 1 and list every problem if it is invalid
  routes [routes.yaml]    print the table: each route, its mode, handler, methods and backend
  nginx [--listen HOST:PORT] [--routes FILE]
                          write the nginx config generated from the table; prints its path

environment: ROUTES (route table, default routes.yaml), FRONT_HOST, FRONT_PORT, STRANGLER_PAGES_DIR,
             STRANGLER_FRONT_DOOR=auto|nginx|edge and STRANGLER_STACK (for up); see gateway/config`;

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
    route.mode,
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

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const config = readConfig(process.env, process.cwd());
  switch (command) {
    case 'up':
      return up({ root: ROOT, cwd: process.cwd(), env: process.env });
    case 'validate': {
      const table = loadTable(config, args[0]);
      console.log(`${table.source}: ok, ${table.routes.length} routes`);
      return 0;
    }
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
    if (err instanceof UsageError) {
      console.error(`strangler: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  },
);
