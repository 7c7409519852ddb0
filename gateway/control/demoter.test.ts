import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEvidence, type EvidenceRecorder } from '../evidence/index.ts';
import { AUTOMATIC, openAuditLog } from './audit.ts';
import { startDemoter, type Demoter } from './demoter.ts';
import type { StackControl } from './stack.ts';

const TABLE = `version: 1
backends:
  legacy: { url: "http://127.0.0.1:8090" }
  ts: { url: "http://127.0.0.1:8081" }
routes:
  - { path: /, mode: legacy }
  - path: /items
    mode: canary
    handler: items
    percent: 20
    gate: { demote_min_requests: 10, demote_error_percent: 5, demote_to: shadow }
  - { path: /quiet, mode: next, handler: items }
  - { path: /compared, mode: shadow, handler: items }
`;

const dirs: string[] = [];
const demoters: Demoter[] = [];
afterEach(async () => {
  for (const d of demoters.splice(0)) await d.stop();
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'strangler-demoter-'));
  dirs.push(dir);
  const routesFile = join(dir, 'routes.yaml');
  writeFileSync(routesFile, TABLE);
  const stateFile = join(dir, 'state.db');
  const applied: string[] = [];
  // The stack is not what this test is about: it takes the change and says every process agreed.
  const control: Pick<StackControl, 'check' | 'apply' | 'reconcile'> = {
    check: async () => [],
    apply: async (toward) => {
      applied.push(toward);
      return { status: { routesFile, file: { error: 'n/a' }, processes: [], handlers: [], agreed: true }, agreedAfterMs: 3, nginxReloaded: false, pending: [] };
    },
    reconcile: async () => {},
  };
  const printed: string[] = [];
  const demoter = startDemoter({ routesFile, env: {}, control, stateFile, print: (line) => printed.push(line), intervalMs: 3_600_000 });
  demoters.push(demoter);
  /** Evidence as the TS server and the front doors record it, flushed to the state file. */
  const record = (fn: (recorder: EvidenceRecorder) => void): void => {
    const store = openEvidence(stateFile);
    const recorder = store.recorder();
    fn(recorder);
    recorder.flush();
    store.close();
  };
  return { routesFile, stateFile, applied, printed, demoter, record };
}

describe('the automatic demoter', () => {
  it('moves a canary whose TS errors and fallbacks pass its limit to gate.demote_to, audited as automatic with the reason and the evidence', async () => {
    const { routesFile, stateFile, applied, printed, demoter, record } = setUp();
    expect(await demoter.tick()).toBeNull();
    record((r) => {
      for (let i = 0; i < 9; i++) r.request('/items', 'ts', 200, 3, false);
      r.request('/items', 'ts', 502, 3, true);
      for (let i = 0; i < 4; i++) r.fallback('/items', 'edge', 'connect');
      for (let i = 0; i < 50; i++) r.request('/compared', 'ts', 500, 3, true); // shadow: not demoted, legacy answers anyway
    });
    const result = await demoter.tick();
    expect(result?.outcome).toBe('applied');
    expect(applied).toEqual(['legacy']); // moving back: the front door first
    expect(readFileSync(routesFile, 'utf8')).toContain('    mode: shadow\n    handler: items\n    gate:');
    expect(readFileSync(routesFile, 'utf8')).not.toMatch(/^ +percent:/m);
    expect(readFileSync(routesFile, 'utf8')).toContain('{ path: /compared, mode: shadow, handler: items }');
    const audit = openAuditLog(stateFile);
    const [entry] = audit.list();
    expect(entry).toMatchObject({ who: AUTOMATIC, command: 'demote /items shadow', route: '/items', outcome: 'applied' });
    expect(entry!.why).toMatch(/^TS errors 1 and fallbacks 4 are 35.7% of 14 TS requests in the last 60 s \(limit 5%\); demoting to shadow$/);
    expect(entry!.evidence).toMatchObject({ window: { sides: { ts: { requests: 10, errors: 1 } }, fallbacks: { total: 4 } }, reasons: [entry!.why] });
    expect(audit.list()).toHaveLength(1);
    audit.close();
    expect(printed.join('\n')).toMatch(/automatic demotion of \/items to shadow \(applied\)/);
    expect(await demoter.tick()).toBeNull(); // in shadow now: nothing more to do
  });

  it('leaves a route alone below demote_min_requests, however bad the share', async () => {
    const { routesFile, demoter, record } = setUp();
    record((r) => {
      for (let i = 0; i < 19; i++) r.fallback('/quiet', 'nginx', 'http_502'); // the default minimum is 20
    });
    expect(await demoter.tick()).toBeNull();
    expect(readFileSync(routesFile, 'utf8')).toBe(TABLE);
  });
});
