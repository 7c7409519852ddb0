import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../config/index.ts';
import { openAuditLog } from '../control/audit.ts';
import { changeRoute, STATE_FILE, type CommandContext } from './control.ts';

const SERVICES = resolve('test/control/fixtures/todo-services.ts'); // serves the handler 'items'
const TABLE = `version: 1
backends:
  legacy: { url: "http://127.0.0.1:8090" }
  ts: { url: "http://127.0.0.1:8081" }
routes:
  - { path: /, mode: legacy }
  - path: /items
    mode: legacy
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

describe('the route commands without a running stack', () => {
  it('promote, promote again and rollback: the file changes, nothing is applied, and the log says so', async () => {
    const { ctx, lines, routes, stateDir } = context();
    expect(await changeRoute('promote', ['/items', '--handler', 'items', '--why', 'parity passes'], ctx)).toBe(0);
    expect(readFileSync(routes, 'utf8')).toContain('  - path: /items\n    mode: next\n    handler: items\n');
    expect(lines.join('\n')).toMatch(/\/items: legacy -> next \(handler items, every method\); .* is revision 1-[0-9a-f]{8}\nNo running stack found/);
    expect(await changeRoute('promote', ['/items', '--why', 'again'], ctx)).toBe(1);
    expect(lines.at(-1)).toContain("route '/items' is in mode next already");
    expect(await changeRoute('rollback', ['/items'], ctx)).toBe(0);
    expect(readFileSync(routes, 'utf8')).toBe(TABLE.replace('version: 1\n', 'version: 1\nrevision: 2\n'));
    const audit = openAuditLog(join(stateDir, STATE_FILE));
    expect(audit.list().map((r) => [r.who, r.command, r.outcome, r.why])).toEqual([
      ['carol', 'rollback /items', 'not applied', 'rollback'],
      ['carol', 'promote /items', 'refused', 'again'],
      ['carol', 'promote /items --handler items', 'not applied', 'parity passes'],
    ]);
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
