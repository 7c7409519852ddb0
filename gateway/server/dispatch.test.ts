import { describe, expect, it } from 'vitest';
import type { Route } from '../routes/types.ts';
import { MODE_POLICIES, planFor } from './dispatch.ts';

const route = (overrides: Partial<Route>): Route => ({
  index: 1,
  line: 3,
  path: '/api',
  exact: false,
  mode: 'next',
  backend: 'ts',
  handler: 'api',
  methods: ['GET'],
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
  it('has no shadow copy, canary bucket or fallback in any mode this version serves', () => expect(plan({}, 'GET')).toMatchObject({ shadow: null, canary: null, fallback: null }));
  it('keeps the reserved modes on legacy, whatever the route names', () => {
    for (const mode of ['shadow', 'canary'] as const) expect(plan({ mode }, 'GET')).toMatchObject({ answer: 'legacy', handler: null });
  });
  it('has a policy for every mode', () => expect(Object.keys(MODE_POLICIES).sort()).toEqual(['canary', 'legacy', 'next', 'shadow']));
  it('is frozen, so nothing downstream can change what was decided', () => expect(Object.isFrozen(plan({}, 'GET'))).toBe(true));
});
