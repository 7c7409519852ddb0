import { describe, expect, it } from 'vitest';
import type { Route } from '../routes/types.ts';
import { MODE_POLICIES, planFor } from './dispatch.ts';
import { canaryBucket } from './plan.ts';
import { TRAFFIC_DEFAULTS } from '../routes/traffic-keys.ts';

const route = (overrides: Partial<Route>): Route => ({
  index: 1,
  line: 3,
  path: '/api',
  exact: false,
  mode: 'next',
  backend: 'ts',
  handler: 'api',
  methods: ['GET'],
  ...TRAFFIC_DEFAULTS,
  ...overrides,
});
const table = { revision: '7-1f3a9c0b' };
const plan = (overrides: Partial<Route>, method: string) => planFor(table, route(overrides), { method });

describe('planFor', () => {
  it('sends a listed method to the handler', () => expect(plan({}, 'GET')).toMatchObject({ answer: 'ts', handler: 'api', reason: 'moved' }));
  it('sends HEAD to the handler when GET is listed', () => expect(plan({}, 'HEAD')).toMatchObject({ answer: 'ts', handler: 'api' }));
  it('sends an unlisted method to legacy, saying the method has not moved', () =>
    expect(plan({}, 'POST')).toMatchObject({ answer: 'legacy', handler: null, reason: 'method-not-moved' }));
  it('does not let HEAD imply GET', () => expect(plan({ methods: ['HEAD'] }, 'GET').answer).toBe('legacy'));
  it('reads the method in any letter case', () => expect(plan({}, 'get').answer).toBe('ts'));
  it('sends every method to the handler when the route has no method list', () => expect(plan({ methods: null }, 'PATCH')).toMatchObject({ answer: 'ts', handler: 'api' }));
  it('sends everything on a legacy route to legacy', () =>
    expect(plan({ mode: 'legacy', handler: null, backend: 'legacy' }, 'GET')).toMatchObject({ answer: 'legacy', reason: 'route-not-moved' }));
  it('names the route and the revision of the table it was made from', () => {
    const made = plan({ path: '/api/v1/threads' }, 'GET');
    expect([made.route.path, made.revision]).toEqual(['/api/v1/threads', '7-1f3a9c0b']);
  });
  it('sends a legacy route with no shadow copy, canary bucket or fallback', () =>
    expect(plan({ mode: 'legacy', handler: null }, 'GET')).toMatchObject({ answer: 'legacy', shadow: null, canary: null, fallback: null }));
  it('lets an idempotent request on a TS answer fall back to legacy, and never a POST or PATCH', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']) expect(plan({ methods: null }, method).fallback).toEqual({ side: 'legacy' });
    for (const method of ['POST', 'PATCH']) expect(plan({ methods: null }, method).fallback).toBeNull();
    expect(plan({ fallback: false }, 'GET').fallback).toBeNull();
  });
  it('answers a shadow route from legacy and copies a safe moved method to the handler', () => {
    expect(plan({ mode: 'shadow' }, 'GET')).toMatchObject({ answer: 'legacy', handler: null, reason: 'shadowed', shadow: { side: 'ts', handler: 'api' }, fallback: null });
    expect(plan({ mode: 'shadow' }, 'POST')).toMatchObject({ answer: 'legacy', reason: 'method-not-moved', shadow: null });
    expect(plan({ mode: 'shadow', methods: null }, 'POST')).toMatchObject({ answer: 'legacy', shadow: null });
  });
  it('copies an unsafe method only when the route opts in', () =>
    expect(plan({ mode: 'shadow', methods: null, shadow: { ...TRAFFIC_DEFAULTS.shadow, unsafe: true } }, 'POST').shadow).toEqual({ side: 'ts', handler: 'api' }));
  it('sends the same user to the same side of a canary every time, and a bigger percent only adds users', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `session:${i}`);
    const side = (percent: number, key: string) => planFor(table, route({ mode: 'canary', percent }), { method: 'GET', key: () => key });
    const at10 = keys.filter((key) => side(10, key).answer === 'ts');
    expect(at10.length).toBeGreaterThan(140);
    expect(at10.length).toBeLessThan(260);
    expect(keys.filter((key) => side(10, key).answer === 'ts')).toEqual(at10);
    const at25 = new Set(keys.filter((key) => side(25, key).answer === 'ts'));
    expect(at10.every((key) => at25.has(key))).toBe(true);
    expect(side(100, keys[0]!).answer).toBe('ts');
  });
  it('gives a canary user on legacy a shadow copy, and TS users a fallback', () => {
    const plans = Array.from({ length: 200 }, (_, i) => planFor(table, route({ mode: 'canary', percent: 50 }), { method: 'GET', key: () => `client:${i}` }));
    const legacy = plans.find((p) => p.answer === 'legacy')!;
    const ts = plans.find((p) => p.answer === 'ts')!;
    expect(legacy).toMatchObject({ reason: 'canary-legacy', shadow: { side: 'ts', handler: 'api' }, fallback: null, canary: { percent: 50 } });
    expect(ts).toMatchObject({ reason: 'canary', handler: 'api', shadow: null, fallback: { side: 'legacy' } });
    expect(ts.canary!.bucket).toBeLessThan(5000);
    expect(legacy.canary!.bucket).toBeGreaterThanOrEqual(5000);
  });
  it('keeps a canary request with no user key on legacy, never a random side', () =>
    expect(planFor(table, route({ mode: 'canary', percent: 99.99 }), { method: 'GET', key: () => null })).toMatchObject({ answer: 'legacy', reason: 'canary-legacy' }));
  it('gives each route its own buckets', () => {
    const same = Array.from({ length: 500 }, (_, i) => `k${i}`).filter((key) => canaryBucket('/a', key) === canaryBucket('/b', key));
    expect(same.length).toBeLessThan(5);
  });
  it('has a policy for every mode', () => expect(Object.keys(MODE_POLICIES).sort()).toEqual(['canary', 'legacy', 'next', 'shadow']));
  it('is frozen, so nothing downstream can change what was decided', () => expect(Object.isFrozen(plan({}, 'GET'))).toBe(true));
});
