/**
 * Zero failed requests while a route flips: `strangler set` moves /api/v1/threads between legacy and next
 * 20 times while keep-alive clients read a thread through the front door without pause, and every answer
 * is counted, socket errors included. Once through the Node edge and once through nginx (when installed).
 * No flip reloads nginx (a mode change leaves its routing as it is), so no kept-alive client connection is
 * cut; the side that answers (X-Strangler-Answered-By) follows the flips.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/processes.ts';
import { NGINX } from '../helpers/stack.ts';
import { runUp, stackEnv, type Up } from '../helpers/up.ts';
import { steadyLoad, strangler } from './load.ts';

const FLIPS = 20;
const CLIENTS = 6;
const ROUTE = '/api/v1/threads';

const doors: ('edge' | 'nginx')[] = ['edge', ...(NGINX.ok ? (['nginx'] as const) : [])];

describe.each(doors)('flipping a route 20 times through the %s front door', { timeout: 600_000 }, (door) => {
  const { dir, cleanup } = tempDir('strangler-flip-');
  let up: Up | undefined;
  afterAll(async () => {
    await up?.stop();
    cleanup();
  });

  const routes = join(dir, 'routes.yaml');
  let env: Record<string, string> = {};

  it('answers every request, and the answering side follows each flip', async () => {
    copyFileSync(join(ROOT, 'routes.yaml'), routes);
    env = { ...(await stackEnv(dir, door, door === 'nginx' ? 2 : 1)), ROUTES: routes };
    up = runUp(env);
    const [, front] = await up.waitFor(/front door\s+(http:\/\/\S+)/, 120_000);
    const load = steadyLoad(front!, '/api/v1/threads/1', CLIENTS);
    const agreedMs: number[] = [];
    try {
      for (let flip = 0; flip < FLIPS; flip++) {
        const toLegacy = flip % 2 === 0;
        const args = toLegacy ? ['set', ROUTE, 'legacy', '--why', `flip ${flip}`] : ['set', ROUTE, 'next', '--handler', 'threads', '--methods', 'GET', '--why', `flip ${flip}`];
        const result = await strangler(args, env);
        expect(result.status, `${result.stdout}${result.stderr}\nstrangler up said, last:\n${up.output.slice(-40).join('\n')}`).toBe(0);
        expect(result.stdout).toContain('All processes agree');
        agreedMs.push(Number(/agreed after (\d+) ms/.exec(result.stdout)?.[1]));
        // Answers sent after every process agreed come from the new side.
        const from = load.sides.length;
        const side = toLegacy ? 'legacy' : 'ts';
        while (!load.sides.slice(from).includes(side)) await new Promise((r) => setTimeout(r, 10));
        expect(load.counts.failed, load.failures.join('\n')).toBe(0);
      }
    } finally {
      await load.stop();
    }
    const status = await strangler(['status'], env);
    expect(status.status, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toContain('All processes agree');
    if (door === 'nginx') expect(status.stdout).toMatch(/nginx .* yes: serves its config of revision 0-[0-9a-f]{8}, whose routing equals the live one's/);
    const log = await strangler(['log', '--route', ROUTE, '--json'], env);
    expect((JSON.parse(log.stdout) as unknown[]).length).toBe(FLIPS);
    const sorted = [...agreedMs].sort((a, b) => a - b);
    console.log(
      `${door}: ${FLIPS} flips, ${load.counts.ok} answered, ${load.counts.failed} failed, by side ${JSON.stringify(load.counts.bySide)}; ` +
        `command to agreement p50 ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`,
    );
    expect(load.counts.failed, load.failures.join('\n')).toBe(0);
    expect(load.counts.bySide.legacy).toBeGreaterThan(0);
    expect(load.counts.bySide.ts).toBeGreaterThan(0);
    expect(readFileSync(routes, 'utf8')).toMatch(/^revision: 20$/m);
  });

  it('refuses a table that names a handler the TS server cannot serve, before any process switches', async () => {
    const good = readFileSync(routes, 'utf8');
    const live = (JSON.parse((await strangler(['status', '--json'], env)).stdout) as { revision: string }).revision;
    writeFileSync(routes, `${good}\n  - path: /api/v1/ghost\n    mode: next\n    handler: ghost\n`);
    try {
      const reload = await strangler(['reload', '--why', 'a hand edit'], env);
      expect(reload.status).toBe(1);
      expect(reload.stdout).toMatch(/refused: nothing was switched:\n.*line \d+: handler 'ghost' is not served by the running TS server \(it serves: [a-z, ]+\)/);
      const status = JSON.parse((await strangler(['status', '--json'], env)).stdout) as { stack: { agreed: boolean; processes: { name: string; revision: string }[] } };
      expect(status.stack.agreed).toBe(false);
      expect(status.stack.processes.map((p) => [p.name, p.revision === live || p.name === 'nginx'])).toEqual(status.stack.processes.map((p) => [p.name, true]));
      const validate = await strangler(['validate', routes], env);
      expect(validate.status).toBe(1);
      expect(validate.stderr).toMatch(/handler 'ghost' is not a service the TS server can serve \(.*services\/index\.ts has: [a-z, ]+\)/);
    } finally {
      writeFileSync(routes, good);
    }
    const set = await strangler(['set', '/api/v1/ghost', 'next', '--handler', 'ghost', '--why', 'not written yet'], env);
    expect(set.status).toBe(1);
    expect(set.stdout).toContain('strangler set: refused, nothing was changed:');
    expect(readFileSync(routes, 'utf8')).toBe(good);
    const log = JSON.parse((await strangler(['log', '--json', '--limit', '2'], env)).stdout) as { command: string; outcome: string }[];
    expect(log.map((r) => [r.command, r.outcome])).toEqual([
      ['set /api/v1/ghost next --handler ghost', 'refused'],
      ['reload', 'refused'],
    ]);
  });
});
