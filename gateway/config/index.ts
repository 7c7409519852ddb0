/**
 * The gateway's configuration: every setting its programs (the TS server, the Node edge, the CLI and
 * `strangler up`) take from the environment, with its one default, read once at a program's edge and
 * passed down as a frozen {@link GatewayConfig}. Library code never reads `process.env`.
 *
 * Where each side listens is not here: `backends.legacy.url` and `backends.ts.url` in the route table
 * are the one source of those addresses (the TS server listens where the table says the front door
 * finds it). Relative paths resolve against the working directory, where the app's files are.
 *
 * @example
 * const config = readConfig(process.env, process.cwd()); // throws ConfigError listing every problem
 * const table = loadRouteTable(config.routesFile, process.env);
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { internalTokenFrom, type TokenCheck } from '../internal/token.ts';

/** The gateway's own neutral error pages: what every door sends when the app names no pages of its own. */
export const NEUTRAL_PAGES_DIR = fileURLToPath(new URL('../../nginx/pages', import.meta.url));

/** Every variable the gateway reads, with its default as it would be written in the environment. */
export const CONFIG_DEFAULTS = {
  ROUTES: 'routes.yaml',
  LOG_LEVEL: 'info',
  FRONT_HOST: '127.0.0.1',
  FRONT_PORT: '8080',
  STRANGLER_FRONT_DOOR: 'auto',
  INTERNAL_HOST: '127.0.0.1',
  INTERNAL_PORT: '8082',
  TS_WORKERS: '1',
  STRANGLER_PAGES_DIR: NEUTRAL_PAGES_DIR,
  STRANGLER_SERVICES: '',
  STRANGLER_STACK: 'stack.yaml',
  STRANGLER_ANSWERED_BY: '0',
  STRANGLER_SESSION_COOKIE: '',
  STRANGLER_IDENTITY_PATH: '/_internal/legacy/sessions/resolve',
  STRANGLER_STATE_DIR: '.strangler',
  STRANGLER_ADMIN_PORT: '0',
  STRANGLER_EVIDENCE_DAYS: '7',
  STRANGLER_SHADOW_START: 'after-answer',
  STRANGLER_SHADOW_RUNNER: 'process',
} as const satisfies Record<string, string>;

export type ConfigVariable = keyof typeof CONFIG_DEFAULTS;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const FRONT_DOORS = ['auto', 'nginx', 'edge'] as const;
export type FrontDoorChoice = (typeof FRONT_DOORS)[number];

export interface ListenAddress {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
}

export interface GatewayConfig {
  /** The route table (`ROUTES`), absolute. */
  readonly routesFile: string;
  readonly logLevel: LogLevel;
  /** Where the front door listens (`FRONT_HOST`, `FRONT_PORT`). */
  readonly front: ListenAddress;
  /** `STRANGLER_FRONT_DOOR`: nginx when installed (auto), or forced. */
  readonly frontDoor: FrontDoorChoice;
  /** The TS server's internal listener (`INTERNAL_HOST`, `INTERNAL_PORT`); never behind the front door. */
  readonly internal: ListenAddress;
  /** `STRANGLER_INTERNAL_TOKEN`, checked; only the TS server refuses to start without a good one. */
  readonly token: TokenCheck;
  /** TS server worker processes (`TS_WORKERS`: a number, or `auto` for one per core). */
  readonly workers: number;
  /** `<status>.html` pages every door sends for its own errors (`STRANGLER_PAGES_DIR`), absolute. */
  readonly pagesDir: string;
  /** The app's module that composes its TS services (`STRANGLER_SERVICES`), absolute; null: no services. */
  readonly servicesModule: string | null;
  /** How `strangler up` runs the legacy app (`STRANGLER_STACK`), absolute. */
  readonly stackFile: string;
  /**
   * `STRANGLER_ANSWERED_BY=1`: answers carry `X-Strangler-Answered-By: <side>; route="…"; revision=…` from
   * the TS server, the edge and nginx's generated config (docs/observability.md); off by default, on under `strangler up`.
   */
  readonly answeredBy: boolean;
  /**
   * One login across both sides (docs/identity.md): the app's session cookie (`STRANGLER_SESSION_COOKIE`;
   * null: the app's services module decides) and the legacy path that says whose session it is
   * (`STRANGLER_IDENTITY_PATH`). Handed to the services module, which builds its identity resolver.
   */
  readonly identity: { readonly cookieName: string | null; readonly resolvePath: string };
  /**
   * The gateway's own state (`STRANGLER_STATE_DIR`), absolute: the audit log `state.db` and the control
   * socket of a running `strangler up`. Never the app's database.
   */
  readonly stateDir: string;
  /** The Node edge's admin listener on 127.0.0.1 (`STRANGLER_ADMIN_PORT`; 0: a free port, named in its listening line). */
  readonly adminPort: number;
  /** How long the evidence of shadow comparisons and traffic is kept in the state file, in days (`STRANGLER_EVIDENCE_DAYS`). */
  readonly evidenceDays: number;
  /**
   * When a shadow copy goes to the TS handler (`STRANGLER_SHADOW_START`): `after-answer` (legacy's answer
   * is out; the default, chosen by bench/scenarios/shadow.ts) or `parallel` (beside legacy).
   */
  readonly shadowStart: 'after-answer' | 'parallel';
  /**
   * Where shadow copies run (`STRANGLER_SHADOW_RUNNER`): `process` (the default: a low-priority child
   * process per serving process, so a handler on trial takes only spare CPU and cannot freeze or crash the
   * user's worker) or `inline` (in the serving process, on its event loop; `shadowStart` applies there).
   */
  readonly shadowRunner: 'inline' | 'process';
}

/** Thrown by {@link readConfig}; the message lists every problem, each with its fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`the configuration is invalid:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Read the whole configuration from `env`; an unset or empty variable takes its default. Throws
 * {@link ConfigError} naming every bad variable and how to fix it.
 *
 * @example
 * readConfig({ FRONT_PORT: '0' }, '/srv/app').front; // { host: '127.0.0.1', port: 0 }
 */
export function readConfig(env: Env, cwd: string): GatewayConfig {
  const problems: string[] = [];
  const text = (name: ConfigVariable): string => env[name] || CONFIG_DEFAULTS[name];
  const port = (name: 'FRONT_PORT' | 'INTERNAL_PORT' | 'STRANGLER_ADMIN_PORT'): number => {
    const value = text(name);
    if (/^\d{1,5}$/.test(value) && Number(value) <= 65535) return Number(value);
    problems.push(`${name}=${value} is not a port; use a number from 0 to 65535 (0 picks a free one)`);
    return 0;
  };
  const oneOf = <T extends string>(name: ConfigVariable, allowed: readonly T[]): T => {
    const value = text(name);
    if ((allowed as readonly string[]).includes(value)) return value as T;
    problems.push(`${name}=${value} is not one of ${allowed.join(', ')}; use one of those`);
    return CONFIG_DEFAULTS[name] as T;
  };
  const workers = (): number => {
    const value = text('TS_WORKERS');
    if (value === 'auto') return availableParallelism();
    if (/^[1-9]\d{0,3}$/.test(value)) return Number(value);
    problems.push(`TS_WORKERS=${value} is not a number of worker processes; use a whole number from 1 to 9999, or auto for one per core (${availableParallelism()} here)`);
    return 1;
  };
  const evidenceDays = (): number => {
    const value = text('STRANGLER_EVIDENCE_DAYS');
    const days = Number(value);
    if (value.trim() !== '' && Number.isFinite(days) && days > 0 && days <= 3650) return days;
    problems.push(`STRANGLER_EVIDENCE_DAYS=${value} is not a number of days; give how long comparisons and traffic figures are kept, e.g. 7 (at most 3650)`);
    return Number(CONFIG_DEFAULTS.STRANGLER_EVIDENCE_DAYS);
  };
  const services = text('STRANGLER_SERVICES');
  const cookieName = (): string | null => {
    const value = text('STRANGLER_SESSION_COOKIE');
    if (value === '') return null;
    // RFC 6265 cookie-name: an RFC 7230 token.
    if (/^[!#$%&'*+.^`|~\w-]+$/.test(value)) return value;
    problems.push(`STRANGLER_SESSION_COOKIE=${value} is not a cookie name; give the name of the app's session cookie, e.g. session (Flask) or sessionid (Django)`);
    return null;
  };
  const identityPath = (): string => {
    const value = text('STRANGLER_IDENTITY_PATH');
    if (/^\/_internal\/[!$&'()*+,;=:@\w.~/-]+$/.test(value)) return value;
    problems.push(`STRANGLER_IDENTITY_PATH=${value} must be a path under /_internal/ (which no front door routes), e.g. ${CONFIG_DEFAULTS.STRANGLER_IDENTITY_PATH}`);
    return CONFIG_DEFAULTS.STRANGLER_IDENTITY_PATH;
  };

  const config: GatewayConfig = Object.freeze({
    routesFile: resolve(cwd, text('ROUTES')),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS),
    front: Object.freeze({ host: text('FRONT_HOST'), port: port('FRONT_PORT') }),
    frontDoor: oneOf('STRANGLER_FRONT_DOOR', FRONT_DOORS),
    internal: Object.freeze({ host: text('INTERNAL_HOST'), port: port('INTERNAL_PORT') }),
    token: internalTokenFrom(env),
    workers: workers(),
    pagesDir: resolve(cwd, text('STRANGLER_PAGES_DIR')),
    servicesModule: services ? resolve(cwd, services) : null,
    stackFile: resolve(cwd, text('STRANGLER_STACK')),
    answeredBy: oneOf('STRANGLER_ANSWERED_BY', ['0', '1'] as const) === '1',
    identity: Object.freeze({ cookieName: cookieName(), resolvePath: identityPath() }),
    stateDir: resolve(cwd, text('STRANGLER_STATE_DIR')),
    adminPort: port('STRANGLER_ADMIN_PORT'),
    evidenceDays: evidenceDays(),
    shadowStart: oneOf('STRANGLER_SHADOW_START', ['after-answer', 'parallel'] as const),
    shadowRunner: oneOf('STRANGLER_SHADOW_RUNNER', ['inline', 'process'] as const),
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * {@link readConfig} for a program's edge: a bad configuration goes to `fail` (log it and exit).
 *
 * @example
 * const config = readConfigOrFail(process.env, process.cwd(), failWith(createLogger('edge', CONFIG_DEFAULTS.LOG_LEVEL)));
 */
export function readConfigOrFail(env: Env, cwd: string, fail: (event: string, message: string) => never): GatewayConfig {
  try {
    return readConfig(env, cwd);
  } catch (err) {
    if (err instanceof ConfigError) return fail('bad_config', `not starting: ${err.message}`);
    throw err;
  }
}
