import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../config/index.ts';
import { openAuditLog } from '../control/audit.ts';
import { openEvidence, type Difference } from '../evidence/index.ts';
import { changeRoute, status, STATE_FILE, type CommandContext } from './control.ts';
import { diff } from './evidence.ts';

const SERVICES = resolve('test/control/fixtures/todo-services.ts'); // serves the handler 'items'
const TABLE = `version: 1
backends:
  legacy: { url: "http://127.0.0.1:8090" }
  ts: { url: "http://127.0.0.1:8081" }
routes:
  - { path: /, mode: legacy }
  - path: /items
    mode: legacy
    gate: { min_comparisons: 20, max_mismatch_percent: 50, min_requests: 5 }
`;

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function context(): { ctx: CommandContext; lines: string[]; routes: string; stateDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'strangler-commands-'));
  dirs.push(dir);
  const routes = join(dir, 'routes.yaml');
  writeFileSync(routes, TABLE);
  const env = { ROUTES: routes, STRANGLER_STATE_DIR: join(dir, 'state'), STRANGLER_SERVICES: SERVICES };
  const lines: string[] = [];
  const ctx: CommandContext = { config: readConfig(env, dir), env, print: (line) => lines.push(line), warn: (line) => lines.push(line), who: 'carol' };
  return { ctx, lines, routes, stateDir: join(dir, 'state') };
}

/** Comparisons (and, when asked, user answers per side) recorded in the state file as the TS server would. */
function record(stateDir: string, { matches = 0, mismatches = 0, requests = 0 }: { matches?: number; mismatches?: number; requests?: number }): void {
  const store = openEvidence(join(stateDir, STATE_FILE));
  const recorder = store.recorder();
  const wrong: Difference = { kind: 'body-json', path: '/items/0/title', classKey: 'body-json /items/*/title', legacy: '"milk"', ts: '"MILK"' };
  for (let i = 0; i < matches; i++) recorder.comparison('/items', '1-aaaaaaaa', 'match', []);
  for (let i = 0; i < mismatches; i++) {
    recorder.comparison('/items', '1-aaaaaaaa', 'mismatch', [wrong], {
      request: { method: 'GET', target: '/items', headers: { accept: 'application/json' } },
      legacy: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"items":[{"title":"milk"}]}' },
      ts: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"items":[{"title":"MILK"}]}' },
    });
  }
  for (let i = 0; i < requests; i++) {
    recorder.request('/items', 'legacy', 200, 5, false);
    recorder.request('/items', 'ts', 200, 4, false);
  }
  recorder.flush();
  store.close();
}

describe('promote, gated by the evidence in the state file (no running stack)', () => {
  it('takes legacy to shadow, refuses canary while the evidence is inconclusive, then passes with enough matching comparisons', async () => {
    const { ctx, lines, routes, stateDir } = context();
    expect(await changeRoute('promote', ['/items', '--handler', 'items', '--why', 'compare it'], ctx)).toBe(0);
    expect(readFileSync(routes, 'utf8')).toContain('  - path: /items\n    mode: shadow\n');
    expect(lines.join('\n')).toMatch(/gate for \/items, legacy -> shadow: pass/);
    expect(lines.join('\n')).toMatch(/\/items: legacy -> shadow \(handler items, every method\); .* is revision 1-[0-9a-f]{8}\nNo running stack found/);

    lines.length = 0;
    expect(await changeRoute('promote', ['/items', '--why', 'looks fine'], ctx)).toBe(1);
    expect(lines.join('\n')).toMatch(
      /gate for \/items, shadow -> canary 10%: inconclusive\n {2}evidence since its last change at .*\n {2}inconclusive: 0 comparisons of the 20 needed/,
    );
    expect(lines.at(-1)).toMatch(/the gate's verdict is inconclusive .*--force --why/);
    expect(readFileSync(routes, 'utf8')).toContain('    mode: shadow\n');

    record(stateDir, { matches: 30 });
    lines.length = 0;
    expect(await changeRoute('promote', ['/items', '--why', 'parity holds'], ctx)).toBe(0);
    expect(lines.join('\n')).toMatch(/shadow -> canary 10%: pass\n.*\n {2}pass: mismatch rate 0.0% \(upper bound 11.4%\) within the limit 50% over 30 comparisons/);
    expect(readFileSync(routes, 'utf8')).toContain(
      '    mode: canary\n    gate: { min_comparisons: 20, max_mismatch_percent: 50, min_requests: 5 }\n    handler: items\n    percent: 10\n',
    );

    const audit = openAuditLog(join(stateDir, STATE_FILE));
    const [passed, refused] = audit.list();
    expect(refused).toMatchObject({ command: 'promote /items', outcome: 'refused', evidence: { step: 'canary', verdict: 'inconclusive' } });
    expect(passed).toMatchObject({ command: 'promote /items', outcome: 'not applied', evidence: { step: 'canary', verdict: 'pass', window: { comparisons: { total: 30 } } } });
    expect(passed!.evidence!.forced).toBeUndefined();
    audit.close();
  });

  it('raises a canary only on the evidence of its TS answers, and takes a forced step with the verdict audited as forced', async () => {
    const { ctx, lines, routes, stateDir } = context();
    expect(await changeRoute('set', ['/items', 'canary', '--percent', '10', '--handler', 'items', '--why', 'try it'], ctx)).toBe(0);
    record(stateDir, { matches: 30 });
    expect(await changeRoute('promote', ['/items', '--percent', '50', '--why', 'more users'], ctx)).toBe(1);
    expect(lines.join('\n')).toMatch(/canary 10% -> canary 50%: inconclusive\n(.*\n)* {2}inconclusive: TS answered 0 requests of the 5 needed/);
    expect(await changeRoute('promote', ['/items', '--percent', '5', '--why', 'x'], ctx)).toBe(1);
    expect(lines.at(-1)).toMatch(/is a canary at 10% already; promote raises it/);

    expect(await changeRoute('promote', ['/items', '--percent', '50', '--force', '--why', 'the launch needs it'], ctx)).toBe(0);
    expect(lines.join('\n')).toContain("forced past the gate's verdict inconclusive");
    expect(readFileSync(routes, 'utf8')).toContain('    percent: 50\n');
    const audit = openAuditLog(join(stateDir, STATE_FILE));
    expect(audit.list()[0]).toMatchObject({
      command: 'promote /items --percent 50 --force',
      why: 'the launch needs it',
      outcome: 'not applied',
      evidence: { verdict: 'inconclusive', forced: true },
    });
    audit.close();

    record(stateDir, { requests: 10 });
    lines.length = 0;
    expect(await changeRoute('promote', ['/items', '--why', 'all good'], ctx)).toBe(0);
    expect(lines.join('\n')).toMatch(/canary 50% -> next: pass/);
    expect(readFileSync(routes, 'utf8')).toContain('    mode: next\n');
    expect(readFileSync(routes, 'utf8')).not.toMatch(/^ +percent:/m);
    expect(await changeRoute('promote', ['/items', '--why', 'again'], ctx)).toBe(1);
    expect(lines.at(-1)).toContain("route '/items' is in mode next already");
  });

  it('waits with --wait while the verdict is inconclusive and takes the step once the evidence comes; refuses when the wait runs out', async () => {
    const { ctx, lines, routes, stateDir } = context();
    expect(await changeRoute('set', ['/items', 'shadow', '--handler', 'items', '--why', 'compare'], ctx)).toBe(0);
    lines.length = 0;
    expect(await changeRoute('promote', ['/items', '--wait', '1', '--why', 'not yet'], ctx)).toBe(1);
    expect(lines.join('\n')).toMatch(
      /waiting up to 1 s for the gate to decide \(inconclusive: 0 comparisons of the 20 needed.*\)\ngate for \/items, shadow -> canary 10%: inconclusive/,
    );

    lines.length = 0;
    const promoted = changeRoute('promote', ['/items', '--wait', '120', '--why', 'once parity holds'], ctx);
    await expect.poll(() => lines.some((line) => line.startsWith('waiting up to 120 s')), { timeout: 30_000 }).toBe(true);
    // The evidence arrives while promote waits, as a TS worker would write it.
    record(stateDir, { matches: 30 });
    expect(await promoted).toBe(0);
    expect(lines.join('\n')).toMatch(/shadow -> canary 10%: pass/);
    expect(readFileSync(routes, 'utf8')).toContain('    mode: canary\n');

    await expect(changeRoute('set', ['/items', 'next', '--wait', '5', '--why', 'x'], ctx)).rejects.toThrow(/--wait applies to promote only/);
    await expect(changeRoute('promote', ['/items', '--wait', 'soon', '--why', 'x'], ctx)).rejects.toThrow(/--wait soon is not a number of seconds/);
  });

  it('fails a handler whose answers differ, and diff shows the differing path with its sample', async () => {
    const { ctx, lines, stateDir } = context();
    expect(await changeRoute('set', ['/items', 'shadow', '--handler', 'items', '--why', 'compare'], ctx)).toBe(0);
    record(stateDir, { matches: 5, mismatches: 25 });
    lines.length = 0;
    expect(await changeRoute('promote', ['/items', '--why', 'ship it'], ctx)).toBe(1);
    expect(lines.join('\n')).toMatch(/shadow -> canary 10%: fail\n(.*\n)* {2}fail: mismatch rate 83.3% .* above the limit 50% over 30 comparisons: see `strangler diff \/items`/);
    expect(lines.at(-1)).toMatch(/the gate's verdict is fail: see the reasons above/);

    lines.length = 0;
    expect(diff(['/items'], ctx)).toBe(0);
    const shown = lines.join('\n');
    expect(shown).toMatch(/\/items: 1 mismatch class \(all kept evidence\)/);
    expect(shown).toMatch(/body-json \/items\/\*\/title {2}25 times, first \S+, last \S+\n {2}legacy: "milk"\n {2}ts: {5}"MILK"/);
    expect(shown).toMatch(/ {2}sample: GET \/items at .*\n {4}legacy 200 \{"items":\[\{"title":"milk"\}\]\}\n {4}ts {5}200 \{"items":\[\{"title":"MILK"\}\]\}/);
    expect(shown).toContain('ignore rules: none');
  });

  it('status shows parity, traffic per side and the gate on the next step, and --json carries all of it', async () => {
    const { ctx, lines, stateDir } = context();
    expect(await changeRoute('set', ['/items', 'shadow', '--handler', 'items', '--why', 'compare'], ctx)).toBe(0);
    record(stateDir, { matches: 29, mismatches: 1, requests: 6 });
    lines.length = 0;
    expect(await status([], ctx)).toBe(0);
    const shown = lines.join('\n');
    expect(shown).toMatch(/\/items\s+shadow\s+items\s+all/);
    expect(shown).toMatch(/\/items \(shadow\), evidence since its last change at .*:\n {2}parity {5}30 comparisons, 1 mismatched \(3.3%, upper bound 16.7%\)/);
    expect(shown).toMatch(/ {2}legacy {5}6 requests, errors 0 \(0.0%\), p50 \S+ ms, p99 \S+ ms\n {2}ts {9}6 requests/);
    expect(shown).toMatch(/ {2}gate {7}promote to canary: pass/);
    lines.length = 0;
    expect(await status(['--json'], ctx)).toBe(0);
    const json = JSON.parse(lines.join('\n')) as {
      routes: { route: string; evidence: { comparisons: { mismatches: number }; sides: { ts: { requests: number } } }; gate: { step: string; verdict: string } }[];
    };
    const items = json.routes.find((r) => r.route === '/items')!;
    expect(items).toMatchObject({ evidence: { comparisons: { mismatches: 1 }, sides: { ts: { requests: 6 } } }, gate: { step: 'canary', verdict: 'pass' } });
  });
});

describe('the route commands without a running stack', () => {
  it('rollback is always accepted: the file changes, nothing is applied, and the log says so', async () => {
    const { ctx, lines, routes, stateDir } = context();
    expect(await changeRoute('set', ['/items', 'next', '--handler', 'items', '--why', 'parity passes'], ctx)).toBe(0);
    expect(lines.join('\n')).toMatch(/\/items: legacy -> next \(handler items, every method\); .* is revision 1-[0-9a-f]{8}\nNo running stack found/);
    expect(await changeRoute('set', ['/items', 'canary', '--why', 'a few users'], ctx)).toBe(1);
    expect(lines.at(-1)).toContain('a route in mode canary needs the share of users TS answers: --percent 10');
    expect(await changeRoute('rollback', ['/items'], ctx)).toBe(0);
    expect(readFileSync(routes, 'utf8')).toBe(TABLE.replace('version: 1\n', 'version: 1\nrevision: 2\n'));
    const audit = openAuditLog(join(stateDir, STATE_FILE));
    expect(audit.list().map((r) => [r.who, r.command, r.outcome, r.why])).toEqual([
      ['carol', 'rollback /items', 'not applied', 'rollback'],
      ['carol', 'set /items canary', 'refused', 'a few users'],
      ['carol', 'set /items next --handler items', 'not applied', 'parity passes'],
    ]);
    expect(audit.list()[0]!.evidence).toMatchObject({ window: { route: '/items' } });
    audit.close();
  });

  it('refuses a handler the services module does not serve, and a set without --why, changing nothing', async () => {
    const { ctx, lines, routes } = context();
    expect(await changeRoute('set', ['/items', 'next', '--handler', 'ghost', '--why', 'try'], ctx)).toBe(1);
    expect(lines.join('\n')).toMatch(/refused, nothing was changed:\n.*line \d+: handler 'ghost' is not a service the TS server can serve \(.*todo-services\.ts has: items\)/);
    await expect(changeRoute('set', ['/items', 'next', '--handler', 'items'], ctx)).rejects.toThrow(/say why: --why/);
    expect(await changeRoute('promote', ['/nothing', '--handler', 'items', '--why', 'x'], ctx)).toBe(1);
    expect(lines.at(-1)).toContain("there is no route '/nothing' to promote");
    expect(readFileSync(routes, 'utf8')).toBe(TABLE);
  });
});
