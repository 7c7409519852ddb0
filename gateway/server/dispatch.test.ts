import { describe, expect, it } from 'vitest';
import type { Route } from '../routes/types.ts';
import { serviceFor } from './dispatch.ts';

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

describe('serviceFor', () => {
  it('sends a listed method to the handler', () => expect(serviceFor(route({}), 'GET')).toBe('api'));
  it('sends HEAD to the handler when GET is listed', () => expect(serviceFor(route({}), 'HEAD')).toBe('api'));
  it('sends an unlisted method to legacy', () => expect(serviceFor(route({}), 'POST')).toBeNull());
  it('does not let HEAD imply GET', () => expect(serviceFor(route({ methods: ['HEAD'] }), 'GET')).toBeNull());
  it('sends every method to the handler when the route has no method list', () => expect(serviceFor(route({ methods: null }), 'PATCH')).toBe('api'));
  it('sends everything on a legacy route to legacy', () => expect(serviceFor(route({ mode: 'legacy', handler: null, backend: 'legacy' }), 'GET')).toBeNull());
});
