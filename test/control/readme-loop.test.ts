/**
 * README.md's "Moving an endpoint" loop, run as written against a running stack: `strangler up` saying
 * who answered, `set` to next, `status`, a curl that shows the TS side answered, `rollback`, `log`. Once
 * on the forum, and once on a second app, the `http.server` to-do list of examples/http-server, with its
 * own route and handler (test/control/fixtures/todo-services.ts) in place of the forum's, behind the Node edge
 * (the forum behind the default door: nginx when installed).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, ROOT, tempDir } from '../helpers/processes.ts';
import { sectionCommands } from '../helpers/readme.ts';
import { runUp, type Up } from '../helpers/up.ts';

/** The command lines of the first sh block of README.md's "Moving an endpoint", comments removed. */
export const loopCommands = (): string[] => sectionCommands('## Moving an endpoint');

const apps = [
  { app: 'the forum', stack: 'stack.yaml', routes: 'routes.yaml', swap: (line: string) => line, path: '/api/v1/threads', handler: 'threads', extra: {} },
  {
    app: 'the http.server to-do list',
    stack: 'examples/http-server/stack.yaml',
    routes: 'examples/http-server/routes.yaml',
    swap: (line: string) => line.replaceAll('/api/v1/threads', '/items').replaceAll('--handler threads', '--handler items'),
    path: '/items',
    handler: 'items',
    // The forum runs behind the default door (nginx when installed), the second app behind the Node edge.
    extra: { STRANGLER_SERVICES: join(ROOT, 'test/control/fixtures/todo-services.ts'), PYTHON: process.env.PYTHON ?? 'python3', STRANGLER_FRONT_DOOR: 'edge' },
  },
] as const;

describe.each(apps)("README's loop on $app", { timeout: 600_000 }, ({ stack, routes: tableFile, swap, path, handler, extra }) => {
  const { dir, cleanup } = tempDir('strangler-loop-');
  let up: Up | undefined;
  afterAll(async () => {
    await up?.stop();
    cleanup();
  });

  it('moves the route to TS and back with one command each, every process agreeing, and logs both', async () => {
    const [upLine, ...loop] = loopCommands().map(swap);
    expect(upLine).toBe('STRANGLER_ANSWERED_BY=1 npx strangler up');
    const routes = join(dir, 'routes.yaml');
    copyFileSync(join(ROOT, tableFile), routes);
    const env: Record<string, string> = {
      STRANGLER_STACK: join(ROOT, stack),
      ROUTES: routes,
      STRANGLER_STATE_DIR: join(dir, 'state'),
      FORUM_DB: join(dir, 'forum.db'),
      FRONT_PORT: String(await freePort()),
      TS_PORT: String(await freePort()),
      LEGACY_PORT: '0',
      STRANGLER_USER: 'loop-test',
      ...extra,
    };
    const sh = (line: string) => spawnSync('sh', ['-c', line], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
    // The route starts on legacy: without a running stack a command edits the file and says nothing was applied.
    if (readFileSync(routes, 'utf8').includes(`path: ${path}\n`)) {
      const setup = sh(`npx strangler rollback ${path} --why "not moved yet"`);
      expect(setup.stdout).toContain('No running stack found');
    }
    up = runUp(env, upLine);
    await up.waitFor(/front door\s+(http:\/\/\S+)/, 120_000);

    const expectations: [RegExp, RegExp[]][] = [
      [/^npx strangler set /, [/-> next \(handler \w+, GET\)/, /All processes agree/]],
      [/^npx strangler status$/, [new RegExp(`${path}\\s+next\\s+${handler}\\s+GET`), /All processes agree/]],
      [/^curl /, [/X-Strangler-Answered-By: ts/i]],
      [/^npx strangler rollback /, [/-> legacy;/, /All processes agree/]],
      [/^npx strangler log /, [new RegExp(`loop-test: strangler rollback ${path} -> applied`), new RegExp(`loop-test: strangler set ${path} next .*-> applied`)]],
    ];
    expect(loop).toHaveLength(expectations.length);
    loop.forEach((line, i) => expect(line).toMatch(expectations[i]![0]));
    for (const [i, line] of loop.entries()) {
      const result = sh(line);
      expect(result.status, `${line}\n${result.stdout}${result.stderr}`).toBe(0);
      for (const pattern of expectations[i]![1]) expect(result.stdout, line).toMatch(pattern);
    }
  });
});
