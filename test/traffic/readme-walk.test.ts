/**
 * README.md's "From legacy to next" walk, run as written against the forum's running stack (the default
 * front door: nginx when installed): promote to shadow, a shadowed request, `diff`, a promotion refused
 * as inconclusive, traffic, `status`, the promotion to canary, traffic, the promotion to next, `rollback`
 * and `log`. Each command's output is checked for what the README says it shows. With
 * STRANGLER_README_SAMPLES=<file> the outputs are written there, for the README's samples.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, ROOT, tempDir } from '../helpers/processes.ts';
import { sectionCommands } from '../helpers/readme.ts';
import { runUp, type Up } from '../helpers/up.ts';

const ROUTE = '/api/v1/boards/*/threads';

/** The command lines of the first sh block of README.md's "From legacy to next", comments removed. */
export const walkCommands = (): string[] => sectionCommands('## From legacy to next');

describe("README's walk from legacy to next", { timeout: 600_000 }, () => {
  const { dir, cleanup } = tempDir('strangler-walk-');
  let up: Up | undefined;
  afterAll(async () => {
    await up?.stop();
    cleanup();
  });

  it('takes the route through shadow and canary to next on its evidence, refusing the step it cannot judge yet, and back', async () => {
    const [rollbackLine, upLine, ...walk] = walkCommands();
    expect(rollbackLine).toBe(`npx strangler rollback "${ROUTE}" --why "walk it from legacy"`);
    expect(upLine).toBe('STRANGLER_ANSWERED_BY=1 npx strangler up');
    const routes = join(dir, 'routes.yaml');
    copyFileSync(join(ROOT, 'routes.yaml'), routes);
    const env: Record<string, string> = {
      STRANGLER_STACK: join(ROOT, 'stack.yaml'),
      ROUTES: routes,
      STRANGLER_STATE_DIR: join(dir, 'state'),
      FORUM_DB: join(dir, 'forum.db'),
      FRONT_PORT: String(await freePort()),
      TS_PORT: String(await freePort()),
      LEGACY_PORT: '0',
      STRANGLER_USER: 'walk-test',
    };
    const samples = process.env.STRANGLER_README_SAMPLES;
    if (samples) writeFileSync(samples, '');
    const sh = (line: string) => spawnSync('sh', ['-c', line], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 });
    // The walk starts in mode legacy: without a running stack a rollback edits the file alone.
    expect(sh(rollbackLine!).stdout).toContain('No running stack found');
    up = runUp(env, upLine);
    await up.waitFor(/front door\s+(http:\/\/\S+)/, 180_000);

    const expectations: [RegExp, number, RegExp[]][] = [
      [/^npx strangler promote .* --handler boards/, 0, [/legacy -> shadow: pass/, /-> shadow \(handler boards, GET\)/, /All processes agree/]],
      [/^curl /, 0, []],
      [/^npx strangler diff /, 0, [/no mismatches recorded/, /ignore rules: none/, /noise: /]],
      [
        /^npx strangler promote .* --percent 50 --why "looks right"/,
        1,
        [/shadow -> canary 50%: inconclusive/, /inconclusive: \d+ comparisons of the 100 needed/, /nothing was changed/],
      ],
      [/^for i in /, 0, []],
      // Copies are compared a moment after their users are answered: the gate may still be short of evidence here.
      [/^npx strangler status$/, 0, [/parity {5}\d+ comparisons, 0 mismatched/, /gate {7}promote to canary: (pass|inconclusive)/, /All processes agree/]],
      [/^npx strangler promote .* --percent 50 --wait 120 --why "100/, 0, [/shadow -> canary 50%: pass/, /-> canary 50% \(handler boards, GET\)/, /All processes agree/]],
      [/^for i in /, 0, []],
      [/^npx strangler promote .* --wait 120 --why "the canary/, 0, [/canary 50% -> next: pass/, /pass: TS error rate/, /pass: TS p99/, /-> next \(handler boards, GET\)/]],
      [/^npx strangler rollback /, 0, [/next \(handler boards, GET\) -> legacy;/, /All processes agree/]],
      [/^npx strangler log /, 0, [/walk-test: strangler promote .* --percent 50 -> applied/, /gate on next: pass/, /-> refused/, /evidence: parity/]],
    ];
    expect(walk).toHaveLength(expectations.length);
    walk.forEach((line, i) => expect(line).toMatch(expectations[i]![0]));
    for (const [i, line] of walk.entries()) {
      const result = sh(line);
      if (samples) appendFileSync(samples, `$ ${line}\n${result.stdout}${result.stderr}\n`);
      expect(result.status, `${line}\n${result.stdout}${result.stderr}`).toBe(expectations[i]![1]);
      for (const pattern of expectations[i]![2]) expect(result.stdout, line).toMatch(pattern);
    }
  });
});
