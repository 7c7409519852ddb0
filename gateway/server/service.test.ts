import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { Route, RouteTable } from '../routes/types.ts';
import { defineService, unknownHandlers } from './service.ts';
import { TRAFFIC_DEFAULTS } from '../routes/traffic-keys.ts';

describe('defineService', () => {
  it('refuses a name routes.yaml could not refer to, saying what a valid one looks like', () => {
    expect(() => defineService({ name: 'Threads API', app: new Hono() })).toThrow(/lowercase letters, digits and dashes/);
  });
  it('returns a frozen service', () => expect(Object.isFrozen(defineService({ name: 'threads', app: new Hono() }))).toBe(true));
});

describe('unknownHandlers', () => {
  const route = (line: number, mode: Route['mode'], handler: string | null): Route => ({
    index: line,
    line,
    path: `/p${line}`,
    exact: false,
    mode,
    backend: mode === 'legacy' ? 'legacy' : 'ts',
    handler,
    methods: null,
    ...TRAFFIC_DEFAULTS,
  });
  const table = { source: 'routes.yaml', routes: [route(1, 'legacy', null), route(2, 'next', 'a'), route(3, 'next', 'b'), route(4, 'next', 'b')] } as unknown as RouteTable;

  it('lists each missing handler once with every line naming it', () => expect(unknownHandlers(table, ['a'])).toEqual([{ handler: 'b', lines: [3, 4] }]));
  it('is empty when every handler is mounted', () => expect(unknownHandlers(table, ['a', 'b'])).toEqual([]));
});
