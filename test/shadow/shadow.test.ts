/**
 * Shadow mode against real processes: the trial legacy app (Python) answers every user, the real TS
 * server sends each shadowed request to the trial handlers in-process and records what it found in its
 * state file. The user's answer is legacy's, whatever the handler does; what the handler did is counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendRaw } from '../helpers/raw-http.ts';
import { startTrialStack, type TrialStack } from './trial-stack.ts';

let stack: TrialStack;
beforeAll(async () => {
  stack = await startTrialStack();
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

const get = async (base: string, path: string, init?: RequestInit): Promise<{ status: number; type: string | null; body: Buffer }> => {
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
};

describe('shadow mode', { timeout: 120_000 }, () => {
  it('gives the user legacy’s exact answer and records the wrong handler’s mismatch with the differing JSON path', async () => {
    const direct = await get(stack.legacy.url, '/same/7');
    const shadowed = await get(stack.ts.url, '/same/7', { headers: { cookie: 'session=s3cret', authorization: 'Bearer t0ken' } });
    expect(shadowed).toEqual(direct);
    expect(JSON.parse(shadowed.body.toString())).toMatchObject({ title: 'item 7' });
    const evidence = await stack.waitFor('/same', (e) => e.comparisons.mismatches === 1, 'one mismatch');
    expect(evidence.shadow.sent).toBe(1);
    const classes = stack.store.classes('/same');
    expect(classes.map((c) => c.classKey)).toEqual(['body-json /title']);
    expect(classes[0]).toMatchObject({ legacy: '"item 7"', ts: '"WRONG"' });
    const sample = classes[0]!.samples[0]!;
    expect(sample.request).toMatchObject({ method: 'GET', target: '/same/7' });
    // Kept with its credentials redacted, never their values.
    expect(sample.request.headers.cookie).toContain('[redacted]');
    expect(JSON.stringify(sample)).not.toMatch(/s3cret|t0ken/);
    expect(JSON.parse(sample.ts.body)).toMatchObject({ title: 'WRONG' });
  });

  it('classifies a field legacy changes on every answer as noise, not a mismatch', async () => {
    // One at a time: the shadow process asks legacy again only when it has nothing else to do.
    for (let i = 0; i < 3; i++) {
      expect((await get(stack.ts.url, `/noisy/${i}`)).status).toBe(200);
      await stack.waitFor('/noisy', (e) => e.comparisons.total === i + 1, `comparison ${i + 1}`);
    }
    const evidence = stack.evidence('/noisy');
    expect(evidence.comparisons).toMatchObject({ mismatches: 0, noise: 3 });
    expect(evidence.noise.checks).toBe(3);
    expect(evidence.noise.noisyPaths.map((p) => p.classKey)).toEqual(['body-json /generated_at']);
  });

  it('answers the user while the shadow handler is blocked, holds the next copy behind the route’s cap, counts the hanging one failed, then runs the held copy', async () => {
    const first = await get(stack.ts.url, '/slow/1');
    expect(first).toEqual(await get(stack.legacy.url, '/slow/1'));
    // The user's answer is here; the handler's copy is still waiting on the gate.
    await stack.waitFor('/slow', () => stack.gate.waiting() === 1, 'the handler blocked on the gate');
    // One copy running is the route's cap: the next one's user is answered, and its copy waits its turn.
    expect((await get(stack.ts.url, '/slow/2')).status).toBe(200);
    // Past the route's time limit (proxy_timeout_s: 3) the blocked copy is a failure.
    const failed = await stack.waitFor('/slow', (e) => e.shadow.failed === 1, 'the blocked copy failed');
    expect(failed.shadow).toMatchObject({ sent: 0, droppedConcurrency: 0 });
    // Failed, but its handler still runs: it keeps the place, so the waiting copy has not reached the handler.
    expect(stack.gate.waiting()).toBe(1);
    stack.gate.release();
    // Once the hung handler has let go, the waiting copy takes its place.
    await stack.waitFor('/slow', () => stack.gate.waiting() === 1, 'the waiting copy at the gate');
    stack.gate.release();
    const evidence = await stack.waitFor('/slow', (e) => e.comparisons.matches === 1, 'the waiting copy compared');
    expect(evidence.shadow).toMatchObject({ sent: 1, failed: 1, droppedConcurrency: 0 });
  });

  it('answers the user when the handler throws, counts it failed, and keeps serving', async () => {
    expect(await get(stack.ts.url, '/boom/1')).toEqual(await get(stack.legacy.url, '/boom/1'));
    await stack.waitFor('/boom', (e) => e.shadow.failed === 1, 'one failed copy');
    expect(stack.evidence('/boom').comparisons.total).toBe(0);
    expect((await get(stack.ts.url, '/boom/2')).status).toBe(200);
    await stack.waitFor('/boom', (e) => e.shadow.failed === 2, 'two failed copies');
    expect(stack.ts.child.exitCode).toBeNull();
  });

  it('skips and counts what the sample rate leaves out', async () => {
    for (let i = 0; i < 2; i++) expect((await get(stack.ts.url, `/sampled/${i}`)).status).toBe(200);
    const evidence = await stack.waitFor('/sampled', (e) => e.shadow.skippedSample === 2, 'two skipped copies');
    expect(evidence.shadow.sent).toBe(0);
  });

  it('counts an answer larger than the route’s cap as too large and compares nothing', async () => {
    const answer = await get(stack.ts.url, '/big/1');
    expect(answer.body.length).toBeGreaterThan(1024);
    expect(answer).toEqual(await get(stack.legacy.url, '/big/1'));
    const evidence = await stack.waitFor('/big', (e) => e.shadow.tooLarge === 1, 'one copy too large');
    expect(evidence.comparisons.total).toBe(0);
  });

  it('shadows no unsafe method unless the route opts in, and counts the ones it skips', async () => {
    expect((await get(stack.ts.url, '/unsafe/1', { method: 'POST', body: 'x' })).status).toBe(201);
    await stack.waitFor('/unsafe', (e) => e.shadow.skippedMethod === 1, 'one POST skipped');
    expect((await get(stack.ts.url, '/unsafe/1')).status).toBe(200);
    const evidence = await stack.waitFor('/unsafe', (e) => e.comparisons.matches === 1, 'the GET compared');
    expect(evidence.shadow.sent).toBe(1);
  });

  it('copies an opted-in POST with its body, and counts a body over the cap as too large', async () => {
    const small = await get(stack.ts.url, '/echo', { method: 'POST', body: 'y'.repeat(100) });
    expect(JSON.parse(small.body.toString())).toEqual({ got: 100 });
    await stack.waitFor('/echo', (e) => e.comparisons.matches === 1, 'the POST compared');
    const large = await get(stack.ts.url, '/echo', { method: 'POST', body: 'y'.repeat(2000) });
    expect(JSON.parse(large.body.toString())).toEqual({ got: 2000 });
    await stack.waitFor('/echo', (e) => e.shadow.tooLarge === 1, 'the large POST too large');
    // A chunked body (no length announced) over the cap is found too large as it streams.
    const chunked = await sendRaw(stack.ts.url, `POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n7d0\r\n${'z'.repeat(2000)}\r\n0\r\n\r\n`);
    expect(chunked).toContain('{"got":2000}');
    const evidence = await stack.waitFor('/echo', (e) => e.shadow.tooLarge === 2, 'the chunked POST too large');
    expect(evidence.shadow.sent).toBe(1);
  });

  it('copies the requests legacy answers on a canary route, for the users outside the canary', async () => {
    // 0.01% of users: this client's key (its address) falls outside, so legacy answers and TS gets a copy.
    const answers = [];
    for (let i = 0; i < 2; i++) answers.push(await get(stack.ts.url, '/canary/1', { headers: { 'x-real-ip': '192.0.2.7' } }));
    expect(answers[0]).toEqual(await get(stack.legacy.url, '/canary/1'));
    const evidence = await stack.waitFor('/canary', (e) => e.comparisons.matches === 2, 'two comparisons');
    expect(evidence.shadow.sent).toBe(2);
  });

  it('drops a client’s X-Strangler-Shadow at the TS server’s public listener, before a handler or legacy sees it', async () => {
    const toHandler = await sendRaw(stack.ts.url, 'GET /seen HTTP/1.1\r\nHost: x\r\nX-Strangler-Shadow: 1\r\nx-strangler-shadow: 1\r\nConnection: close\r\n\r\n');
    expect(toHandler).toContain('{"shadow":null,"isShadow":false}');
    const toLegacy = await sendRaw(stack.ts.url, 'GET /legacy-seen HTTP/1.1\r\nHost: x\r\nX-Strangler-Shadow: 1\r\nConnection: close\r\n\r\n');
    expect(toLegacy).toContain('{"shadow":null}');
    // Without the door's stripping, the header would be there: the legacy app reports what it gets.
    expect((await get(stack.legacy.url, '/legacy-seen', { headers: { 'x-strangler-shadow': '1' } })).body.toString()).toBe('{"shadow":"1"}');
  });
});
