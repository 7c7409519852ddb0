/**
 * Without Docker, the next best proof that an image works: lay out the files its Dockerfile's final
 * stage copies (nothing else from the repository), then run the service's compose command there with
 * its compose environment and run its healthcheck against it.
 */
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, spawnServer, tempDir, TEST_INTERNAL_TOKEN, type RunningProcess } from '../helpers/processes.ts';
import { findHeadersMoreModule } from '../../gateway/nginx/index.ts';
import { dockerignore, hasNodeModules } from './compose-checks.ts';
import { imagePathOf, parseDockerfile, type Stage } from './dockerfile.ts';
import { RepoView } from './repo-view.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- parsed YAML
const COMPOSE = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8')) as Json;
const repo = new RepoView(ROOT);
const scratch = tempDir('strangler-images-');
afterAll(() => scratch.cleanup());

interface Image {
  readonly stage: Stage;
  /** Host directory standing for the image's WORKDIR. */
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly command: string[];
  readonly healthcheck: string[];
}

/** A stage of a service's image (default: the final one), laid out under the scratch directory. */
function assemble(name: string, pickStage: (stages: readonly Stage[]) => Stage = (stages) => stages.at(-1)!): Image {
  const service = COMPOSE.services[name] as Json;
  const stages = parseDockerfile(repo.read(service.build.dockerfile)!).stages;
  const final = pickStage(stages);
  const dir = join(scratch.dir, `${name}-${final.index}`);
  const ignored = dockerignore(repo);
  const context = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((file) => file && repo.isFile(file) && !ignored(file));
  let copied = 0;
  for (const file of context) {
    const at = imagePathOf(final, file, (path) => repo.isDir(path));
    if (at === null || !at.startsWith(`${final.workdir}/`)) continue;
    const target = join(dir, posix.relative(final.workdir, at));
    mkdirSync(join(target, '..'), { recursive: true });
    cpSync(join(ROOT, file), target);
    copied += 1;
  }
  expect(copied, `${name}: files copied into the image`).toBeGreaterThan(0);
  // What `npm ci` produced in the image: the repository's installed packages stand in for it.
  if (hasNodeModules(final)) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  // Compose turns `$$` into a literal `$` for the shell in the container.
  const command = ((service.command as string[] | undefined) ?? []).map((word) => word.replaceAll('$$', '$'));
  const healthcheck = (service.healthcheck.test as string[]).slice(1);
  return { stage: final, dir, env: { ...final.env, ...(service.environment as Record<string, string>) }, command, healthcheck };
}

/** Run a healthcheck command with the container's port swapped for the one the process got. */
function healthcheck(image: Image, containerPort: string, port: number): Promise<number | null> {
  const args = image.healthcheck.map((word) => word.replaceAll(`127.0.0.1:${containerPort}`, `127.0.0.1:${port}`));
  expect(args.join(' '), 'the healthcheck probes the container port').not.toBe(image.healthcheck.join(' '));
  return new Promise((resolve) => {
    const child = spawn(args[0]!, args.slice(1), { cwd: image.dir, stdio: 'ignore' });
    child.on('error', () => resolve(null));
    child.on('exit', (code) => resolve(code));
  });
}

// What compose interpolates from the operator's environment (or .env) into both services.
const INTERNAL = { STRANGLER_INTERNAL_TOKEN: TEST_INTERNAL_TOKEN, STRANGLER_INTERNAL_URL: 'http://127.0.0.1:1' };

describe('the legacy and TS images, run from only the files their Dockerfiles copy', () => {
  const dataDir = join(scratch.dir, 'data');
  const forumDb = join(dataDir, 'forum.db');
  let legacy: Image;
  let ts: Image;
  const running: RunningProcess[] = [];

  beforeAll(() => {
    mkdirSync(dataDir, { recursive: true });
    legacy = assemble('legacy');
    ts = assemble('ts');
  });
  afterAll(async () => {
    await Promise.all(running.map((child) => child.stop()));
  });

  const startLegacy = async (): Promise<RunningProcess> => {
    const [command, ...args] = legacy.command;
    const child = await spawnServer({
      name: 'legacy image',
      command: command!,
      args,
      cwd: legacy.dir,
      env: { ...legacy.env, ...INTERNAL, LEGACY_HOST: '127.0.0.1', LEGACY_PORT: '0', FORUM_DB: forumDb },
      startTimeoutMs: 60_000,
    });
    running.push(child);
    return child;
  };

  it('legacy seeds the empty volume on its first start and passes its healthcheck', async () => {
    const child = await startLegacy();
    expect(child.output.join('\n')).toContain('seeded');
    expect(await healthcheck(legacy, legacy.env.LEGACY_PORT!, child.port)).toBe(0);
    await child.stop();
  }, 90_000);

  it('legacy starts again on a volume that has data, without seeding it twice', async () => {
    const child = await startLegacy();
    expect(child.output.join('\n')).not.toContain('seeded');
    expect(await healthcheck(legacy, legacy.env.LEGACY_PORT!, child.port)).toBe(0);
  }, 60_000);

  it('ts serves the shared database, passes its healthcheck and proxies unmoved methods to legacy', async () => {
    const legacyServer = running.at(-1)!;
    const [command, ...args] = ts.command;
    const child = await spawnServer({
      name: 'ts image',
      command: command!,
      args,
      cwd: ts.dir,
      env: {
        ...ts.env,
        ...INTERNAL,
        INTERNAL_HOST: '127.0.0.1',
        INTERNAL_PORT: '0',
        TS_HOST: '127.0.0.1',
        TS_PORT: '0',
        LEGACY_HOST: '127.0.0.1',
        LEGACY_PORT: String(legacyServer.port),
        FORUM_DB: forumDb,
      },
    });
    running.push(child);
    expect(await healthcheck(ts, ts.env.TS_PORT!, child.port)).toBe(0);
    const boards = (await (await fetch(`${child.url}/api/v1/boards`)).json()) as unknown;
    expect(boards).toEqual(await (await fetch(`${legacyServer.url}/api/v1/boards`)).json());
    // Replying has not moved: the TS server passes the POST to legacy, which refuses an anonymous one.
    const reply = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ body: 'hello' }) };
    const viaTs = await fetch(`${child.url}/api/v1/threads/1/posts`, reply);
    const direct = await fetch(`${legacyServer.url}/api/v1/threads/1/posts`, reply);
    expect(viaTs.status).toBe(401);
    expect(await viaTs.json()).toEqual(await direct.json());
  }, 60_000);
});

describe('the nginx image', () => {
  it.skipIf(findHeadersMoreModule() === null)(
    'generates a config listening on all interfaces with the service names as upstreams, from only the files its config stage copies',
    () => {
      const service = COMPOSE.services.nginx as Json;
      const generates = (stage: Stage) => stage.runs.find((run) => run.command.includes('strangler.js nginx'));
      const image = assemble('nginx', (stages) => stages.find(generates)!);
      const { stage } = image;
      const run = generates(stage)!;
      // Build args reach RUN as environment variables, the compose values over the ARG defaults.
      const env = { ...process.env, ...stage.args, ...(service.build.args as Record<string, string>) };
      execFileSync('sh', ['-c', run.command], { cwd: image.dir, env, stdio: 'pipe' });
      const config = readFileSync(join(image.dir, 'nginx/generated/nginx.conf'), 'utf8');
      expect(config).toMatch(/^\s*listen 0\.0\.0\.0:8080;$/m);
      expect(config).toMatch(/^\s*server legacy:8090;$/m);
      expect(config).toMatch(/^\s*server ts:8081;$/m);
      // The generator writes absolute paths: in the image they are under the same WORKDIR as here.
      expect(config).toContain(`pid ${join(image.dir, 'nginx/run')}/nginx.pid;`);
      expect(config).toContain(`alias ${join(image.dir, 'legacy-python/front-door-pages')}/;`);
    },
  );
});
