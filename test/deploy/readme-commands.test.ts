/**
 * Every command README.md shows in a `sh` block is run by a test, so the documentation cannot drift from
 * the tool. Each line is looked up in COVERED: either this file runs it as written (with free ports and a
 * temporary database), or the entry names the test that runs it and checks that test still does. A new
 * command in README.md fails here until it is added with its test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, ROOT, tempDir } from '../helpers/processes.ts';
import { runUp } from '../helpers/up.ts';

/** The command lines of README.md's sh blocks, comments removed. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)]
    .flatMap((block) => block[1]!.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** How each README command is run: `here` by this file, or by the named test file, which must contain `proof`. */
const COVERED: readonly { readonly command: RegExp; readonly by: 'here' | string; readonly proof?: string }[] = [
  { command: /^npm install && npm start$/, by: 'here' },
  { command: /^npm test$/, by: '.ci/run', proof: 'npm test' },
  { command: /^STRANGLER_STACK=examples\/[\w-]+\/stack\.yaml npx strangler up$/, by: 'test/recipes/harness.ts', proof: 'readmeCommand(recipe.stack)' },
  { command: /^npx strangler up$/, by: 'here' },
  { command: /^npx strangler validate \[FILE\]$/, by: 'here' },
  { command: /^npx strangler routes \[FILE\]$/, by: 'here' },
  { command: /^npx strangler nginx \[--listen HOST:PORT\] \[--routes FILE\]$/, by: 'here' },
  { command: /^npm run test:unit$/, by: 'here' },
  // "Moving an endpoint": the loop, run as written on the forum and on a second app against a running stack.
  { command: /^STRANGLER_ANSWERED_BY=1 npx strangler up$/, by: 'test/control/readme-loop.test.ts', proof: 'runUp(env, upLine)' },
  { command: /^npx strangler (set|status|rollback|log)( |$)/, by: 'test/control/readme-loop.test.ts', proof: 'const result = sh(line);' },
  {
    command: /^curl -si http:\/\/127\.0\.0\.1:\$\{FRONT_PORT:-8080\}\S+ \| grep -i answered-by$/,
    by: 'test/control/readme-loop.test.ts',
    proof: '[/^curl /, [/X-Strangler-Answered-By: ts/i]]',
  },
  // "From legacy to next": the walk through the traffic modes, run as written against the forum's running stack.
  { command: /^npx strangler (promote|diff) /, by: 'test/traffic/readme-walk.test.ts', proof: 'const result = sh(line);' },
  { command: /^curl -s -o \/dev\/null http:\/\/127\.0\.0\.1:\$\{FRONT_PORT:-8080\}\S+$/, by: 'test/traffic/readme-walk.test.ts', proof: '[/^curl /, 0, []]' },
  { command: /^for i in \$\(seq \d+\); do curl .*; done$/, by: 'test/traffic/readme-walk.test.ts', proof: '[/^for i in /, 0, []]' },
  // npm test runs the lint script's two commands as one of its counted parts (bin/run-tests.js; the
  // script's text is pinned by test/deploy/run-tests.test.ts), so every CI run runs it.
  { command: /^npm run lint$/, by: 'bin/run-tests.js', proof: "['lint', () => lint()]" },
  // Rewriting the tree in a test would change files under other tests; its check half is `npm run lint`.
  { command: /^npm run format$/, by: 'package.json', proof: '"format": "prettier --write ."' },
];

const sh = (line: string, env: Record<string, string> = {}) =>
  spawnSync('sh', ['-c', line], { cwd: ROOT, env: { ...process.env, ROUTES: '', FRONT_PORT: '', ...env }, encoding: 'utf8', timeout: 120_000 });

describe('README.md commands', () => {
  const commands = readmeCommands();

  it('are each covered by a test that runs them', () => {
    expect(commands.length).toBeGreaterThan(5);
    const uncovered = commands.filter((line) => !COVERED.some((entry) => entry.command.test(line)));
    expect(uncovered, 'add each to COVERED in test/deploy/readme-commands.test.ts with the test that runs it').toEqual([]);
  });

  it('are still run by the tests named for them', () => {
    for (const { by, proof } of COVERED) {
      if (by === 'here') continue;
      expect(read(by), `${by} should contain ${proof}`).toContain(proof);
    }
  });

  it('npx strangler validate [FILE]: the repository table is valid, with or without naming it', () => {
    for (const line of ['npx strangler validate', 'npx strangler validate routes.yaml']) {
      const result = sh(line);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/routes\.yaml: ok, \d+ routes/);
    }
    const bad = sh('npx strangler validate package.json');
    expect(bad.status).toBe(1);
  });

  it('npx strangler routes [FILE]: lists every route of the table with its backend', () => {
    const result = sh('npx strangler routes routes.yaml');
    expect(result.status, result.stderr).toBe(0);
    // A pattern is quoted in YAML (`"/a/*/b"`); the listing shows the path itself.
    for (const [, path] of read('routes.yaml').matchAll(/^\s*- path: "?([^"\s]+)"?/gm)) expect(result.stdout).toContain(path!);
  });

  it('npx strangler nginx [--listen HOST:PORT] [--routes FILE]: writes nginx/generated/nginx.conf for that address', (ctx) => {
    const result = sh('npx strangler nginx --listen 127.0.0.1:9099 --routes routes.yaml');
    if (result.stderr.includes('not installed')) ctx.skip();
    expect(result.status, result.stderr).toBe(0);
    const file = join(ROOT, 'nginx/generated/nginx.conf');
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain('listen 127.0.0.1:9099');
  });

  it('npm run test:unit: runs the unit tier and ends green', () => {
    const result = sh('npm run test:unit -- gateway/config');
    expect(result.status, result.stdout + result.stderr).toBe(0);
    // eslint-disable-next-line no-control-regex -- vitest colours its summary
    expect(result.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Tests\s+\d+ passed/);
  });

  // `npm install` itself is what .ci/run does with `npm ci` on the same lock; the line's start half runs here.
  it.each([['npm start'], ['npx strangler up']])(
    '%s: starts the whole stack and its front door answers',
    async (line) => {
      const { dir, cleanup } = tempDir('strangler-readme-');
      const up = runUp({ FRONT_PORT: String(await freePort()), TS_PORT: String(await freePort()), LEGACY_PORT: '0', FORUM_DB: join(dir, 'forum.db') }, line);
      try {
        const [, front] = await up.waitFor(/front door\s+(http:\/\/\S+)/, 90_000);
        const res = await fetch(`${front}/api/v1/boards`);
        expect(res.status).toBe(200);
        expect(((await res.json()) as { boards: unknown[] }).boards.length).toBeGreaterThan(0);
      } finally {
        await up.stop();
        cleanup();
      }
    },
    120_000,
  );
});
