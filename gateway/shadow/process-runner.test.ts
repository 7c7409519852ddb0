/**
 * The process runner's queue, against a real forked stand-in for the shadow process (a few lines that
 * speak the IPC protocol and hold each copy until the test releases it): a route's cap bounds what the
 * shadow process runs at once, copies over it wait in order and go as places free up, and the wait is
 * bounded by count, bytes and age, each copy past a bound counted `dropped-concurrency`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log/index.ts';
import { parseRouteTable } from '../routes/index.ts';
import { planFor } from '../server/plan.ts';
import { createProcessShadowRunner, WAIT_LIMITS, type WaitLimits } from './process-runner.ts';
import type { ShadowRunner } from './runner.ts';

const TABLE = `version: 1
backends:
  legacy: { url: "http://127.0.0.1:8090" }
  ts: { url: "http://127.0.0.1:8081" }
routes:
  - { path: /, mode: legacy }
  - { path: /one, mode: shadow, handler: items, methods: [GET], shadow: { max_concurrent: 1, noise_percent: 0 } }
  - { path: /two, mode: shadow, handler: items, methods: [GET], shadow: { max_concurrent: 2, noise_percent: 0 } }
`;

// Says it is ready (unless told not to), reports each copy it gets by its target, and ends the held
// copies when the test sends { kind: 'release' }.
const STAND_IN = `
const held = [];
process.on('message', (m) => {
  if (m.kind === 'copy') {
    held.push(m.id);
    process.send({ kind: 'answered', id: m.id, counts: [{ kind: 'shadow', route: m.copy.route.path, event: 'sent', status: 200, target: m.copy.target }] });
  } else if (m.kind === 'release') {
    for (const id of held.splice(0)) process.send({ kind: 'done', id, counts: [] });
  } else if (m.kind === 'finish') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
if (!process.env.NEVER_READY) process.send({ kind: 'ready' });
`;

const table = parseRouteTable(TABLE, 'routes.yaml', {});
const handler = { fetch: () => new Response('unused') };
const dir = mkdtempSync(join(tmpdir(), 'strangler-runner-'));
const standIn = join(dir, 'stand-in.mjs');
writeFileSync(standIn, STAND_IN);

interface Harness {
  readonly runner: ShadowRunner;
  readonly events: { route: string; event: string; target?: string }[];
  readonly clock: { ms: number };
  child(): ChildProcess;
  /** Whether the runner has started its shadow process (it does once a copy waits for it). */
  started(): boolean;
  /** One user request on `path` that legacy answered with `body`, its copy handed over. */
  request(path: string, body?: string): void;
}

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.runner.close(500);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function harness(options: { limits?: Partial<WaitLimits>; neverReady?: boolean } = {}): Harness {
  const events: Harness['events'] = [];
  const clock = { ms: 0 };
  let proc: ChildProcess | null = null;
  const runner = createProcessShadowRunner({
    recorder: {
      shadow: (route, event) => void events.push({ route, event }),
      comparison: () => undefined,
      noiseCheck: () => undefined,
    },
    logger: createLogger('test', 'silent'),
    timeoutMs: 60_000,
    limits: { ...WAIT_LIMITS, ...options.limits },
    now: () => clock.ms,
    spawn: () => {
      proc = fork(standIn, [], { env: { ...process.env, ...(options.neverReady ? { NEVER_READY: '1' } : {}) }, serialization: 'advanced' });
      // The stand-in's reports carry the copy's target: kept beside the runner's own record of them.
      proc.on('message', (m: { kind: string; counts?: { target?: string; route: string }[] }) => {
        for (const c of m.counts ?? []) if (c.target) events.push({ route: c.route, event: 'reached', target: c.target });
      });
      return proc;
    },
  });
  const h: Harness = {
    runner,
    events,
    clock,
    child: () => proc!,
    started: () => proc !== null,
    request(path, body = '{"ok":true}') {
      const route = table.routes.find((r) => r.path === `/${path.split('/')[1]}`)!;
      const incoming = new IncomingMessage(new Socket());
      const copy = runner.begin({
        plan: planFor(table, route, { method: 'GET' }),
        method: 'GET',
        target: path,
        incoming,
        requestId: 'r',
        handler,
        legacyUrl: 'http://127.0.0.1:1',
      });
      if (copy === null) return;
      const answer = new IncomingMessage(new Socket());
      answer.statusCode = 200;
      answer.rawHeaders = ['Content-Type', 'application/json'];
      copy.onResponse(answer);
      answer.push(Buffer.from(body));
      answer.push(null);
      answer.resume();
      copy.done({ backend: 'legacy', status: 200, failure: null, firstByteMs: 1, totalMs: 1, requestBodyBytes: 0, responseBodyBytes: body.length, retried: false, fallback: null });
    },
  };
  harnesses.push(h);
  return h;
}

const reached = (h: Harness): string[] => h.events.filter((e) => e.event === 'reached').map((e) => e.target!);
const dropped = (h: Harness): number => h.events.filter((e) => e.event === 'dropped-concurrency').length;

describe('the process runner’s queue', () => {
  it('runs at most the route’s cap at once and sends the waiting copies in order as places free up, dropping none', async () => {
    const h = harness();
    for (const path of ['/one/1', '/one/2', '/two/1', '/one/3', '/two/2', '/two/3']) h.request(path);
    // /one runs one copy at a time, /two two: a route at its cap does not hold up another.
    await expect.poll(() => reached(h)).toEqual(['/one/1', '/two/1', '/two/2']);
    h.child().send({ kind: 'release' });
    await expect.poll(() => reached(h)).toEqual(['/one/1', '/two/1', '/two/2', '/one/2', '/two/3']);
    h.child().send({ kind: 'release' });
    await expect.poll(() => reached(h).at(-1)).toBe('/one/3');
    h.child().send({ kind: 'release' });
    await h.runner.idle();
    expect(dropped(h)).toBe(0);
  });

  it('drops a copy that waited longer than the limit, counted, when the shadow process does not take it', async () => {
    const h = harness({ limits: { ms: 1000 }, neverReady: true });
    h.request('/one/1');
    await expect.poll(() => h.started()).toBe(true);
    h.clock.ms = 1500;
    h.request('/one/2');
    // The first copy's legacy answer is too old to compare: dropped; the second waits.
    await expect.poll(() => dropped(h)).toBe(1);
    expect(h.runner.inFlight('/one')).toBe(1);
  });

  it('drops a copy that would take the waiting bytes past the limit, and one past the count of copies admitted', async () => {
    const bytes = harness({ limits: { bytes: 40 }, neverReady: true });
    bytes.request('/one/1', 'x'.repeat(30));
    await expect.poll(() => bytes.started()).toBe(true);
    bytes.request('/one/2', 'x'.repeat(30));
    await expect.poll(() => dropped(bytes)).toBe(1);
    expect(bytes.runner.inFlight('/one')).toBe(1);

    const copies = harness({ limits: { copies: 2 }, neverReady: true });
    for (const path of ['/one/1', '/two/1', '/two/2']) copies.request(path);
    // The third is refused at once, before legacy's answer is read.
    expect(dropped(copies)).toBe(1);
    await expect.poll(() => copies.runner.inFlight('/one') + copies.runner.inFlight('/two')).toBe(2);
  });
});
