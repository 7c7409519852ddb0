import { createRoute, z } from '@hono/zod-openapi';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { defineService } from '../server/service.ts';
import { createInternalApp, internalRoutes, internalTokenFrom, InternalError, tokenMatcher } from './index.ts';

const TOKEN = 'a'.repeat(16) + 'B'.repeat(16) + '-0123456789';
const logger = pino({ level: 'silent' });

function echoService() {
  const internal = internalRoutes();
  internal.openapi(
    createRoute({
      method: 'post',
      path: '/_internal/v1/echo/things',
      request: { body: { content: { 'application/json': { schema: z.object({ name: z.string().min(3), count: z.number().int() }) } }, required: true } },
      responses: { 201: { description: 'made', content: { 'application/json': { schema: z.object({ name: z.string() }) } } } },
    }),
    (c) => c.json({ name: c.req.valid('json').name }, 201),
  );
  internal.openapi(
    createRoute({
      method: 'get',
      path: '/_internal/v1/echo/things/{id}',
      request: { params: z.object({ id: z.string().regex(/^\d+$/, 'must be digits') }) },
      responses: { 200: { description: 'a thing' } },
    }),
    (c) => {
      if (c.req.valid('param').id === '404') throw new InternalError('not_found', 'thing 404 does not exist');
      if (c.req.valid('param').id === '500') throw new Error('boom');
      if (c.req.valid('param').id === '503') throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      return c.json({ id: c.req.valid('param').id, requestId: c.env?.requestId ?? null }, 200);
    },
  );
  return defineService({ name: 'echo', internal });
}

const app = createInternalApp({ services: [echoService()], token: TOKEN, logger });
const auth = { authorization: `Bearer ${TOKEN}` };
const call = async (path: string, init: RequestInit = {}) => {
  const res = await app.request(path, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
};
const post = (path: string, body: string, type = 'application/json') => call(path, { method: 'POST', body, headers: { 'content-type': type } });

describe('the internal app', () => {
  it.each([
    ['no Authorization header', {}],
    ['a wrong token of the same length', { authorization: `Bearer ${TOKEN.slice(0, -1)}x` }],
    ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, 32)}` }],
    ['the token with something after it', { authorization: `Bearer ${TOKEN}x` }],
    ['Basic auth with the token', { authorization: `Basic ${TOKEN}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('answers 401 and nothing else for %s, on known and unknown paths alike', async (_name, headers) => {
    const answers = await Promise.all(['/_internal/v1/echo/things/1', '/_internal/v1/nothing', '/_internal/openapi.json', '/'].map((path) => app.request(path, { headers })));
    const bodies = await Promise.all(answers.map((res) => res.text()));
    expect(answers.map((res) => res.status)).toEqual([401, 401, 401, 401]);
    expect(new Set(bodies)).toEqual(new Set(['{"error":{"code":"unauthorized","message":"missing or wrong bearer token"}}']));
  });

  it('accepts the token with the scheme in any letter case', async () => {
    const res = await app.request('/_internal/v1/echo/things/7', { headers: { authorization: `bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
  });

  it('passes a well-formed X-Request-Id on and answers with it', async () => {
    const res = await call('/_internal/v1/echo/things/7', { headers: { 'x-request-id': 'req-123' } });
    expect(res.headers.get('x-request-id')).toBe('req-123');
  });

  it('mints a request id when the caller sends a malformed one', async () => {
    const res = await call('/_internal/v1/echo/things/7', { headers: { 'x-request-id': 'no spaces allowed' } });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('names every invalid field in one 400', async () => {
    const res = await post('/_internal/v1/echo/things', '{"name":"ab"}');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'bad_request', message: expect.stringMatching(/^name: .*3.*; count: required$/) } });
  });

  it('answers 400 bad_request for a path parameter that fails its schema', async () => {
    const res = await call('/_internal/v1/echo/things/abc');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'bad_request', message: 'id: must be digits' } });
  });

  it('says an object was expected when the body is JSON of another type', async () => {
    const res = await post('/_internal/v1/echo/things', '[1,2]');
    expect(res.body).toEqual({ error: { code: 'bad_request', message: 'body: must be a JSON object' } });
  });

  it('marks every answer, success or error, no-store', async () => {
    expect((await call('/_internal/v1/echo/things/7')).headers.get('cache-control')).toBe('no-store');
    expect((await call('/_internal/v1/echo/things/404')).headers.get('cache-control')).toBe('no-store');
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await post('/_internal/v1/echo/things', '{"name":');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'bad_request', message: 'the request body is not valid JSON; send a JSON object' } });
  });

  it('answers 415 for a body that is not sent as JSON', async () => {
    const res = await post('/_internal/v1/echo/things', 'name=abc', 'application/x-www-form-urlencoded');
    expect(res.status).toBe(415);
    expect((res.body as { error: { code: string } }).error.code).toBe('unsupported_media_type');
  });

  it('answers 413 for a body over 1 MiB', async () => {
    const res = await post('/_internal/v1/echo/things', JSON.stringify({ name: 'x'.repeat(1024 * 1024), count: 1 }));
    expect(res.status).toBe(413);
    expect((res.body as { error: { code: string } }).error.code).toBe('too_large');
  });

  it("answers 201 with the route's own answer when the body is valid", async () => {
    const res = await post('/_internal/v1/echo/things', '{"name":"abc","count":2}');
    expect(res).toMatchObject({ status: 201, body: { name: 'abc' } });
  });

  it('answers a thrown InternalError with its status and message', async () => {
    const res = await call('/_internal/v1/echo/things/404');
    expect(res).toMatchObject({ status: 404, body: { error: { code: 'not_found', message: 'thing 404 does not exist' } } });
  });

  it('answers 503 unavailable with Retry-After when the database stays locked', async () => {
    const res = await call('/_internal/v1/echo/things/503');
    expect(res).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it("answers 500 internal without the error's text for anything unexpected", async () => {
    const res = await call('/_internal/v1/echo/things/500');
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('boom');
    expect((res.body as { error: { code: string } }).error.code).toBe('internal');
  });

  it('answers 405 with Allow for a known path and a method it does not have', async () => {
    const res = await call('/_internal/v1/echo/things', { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('answers 404 JSON for a path no service declares', async () => {
    const res = await call('/_internal/v1/nothing/here');
    expect(res).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  });

  it("publishes an OpenAPI 3.1 document generated from the routes' schemas", async () => {
    const res = await call('/_internal/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>>; components: { securitySchemes: unknown } };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/_internal/v1/echo/things', '/_internal/v1/echo/things/{id}']);
    expect(JSON.stringify(doc.paths['/_internal/v1/echo/things']!.post!.requestBody)).toContain('"minLength":3');
    expect(doc.components.securitySchemes).toEqual({ Bearer: { type: 'http', scheme: 'bearer' } });
  });
});

describe('internalTokenFrom', () => {
  it('refuses a missing token and says how to make one', () => {
    expect(internalTokenFrom({})).toEqual({ ok: false, reason: expect.stringMatching(/STRANGLER_INTERNAL_TOKEN is not set; .*openssl rand -hex 32/) });
  });
  it('refuses a token under 32 bytes, naming its length', () => {
    expect(internalTokenFrom({ STRANGLER_INTERNAL_TOKEN: 'x'.repeat(31) })).toEqual({ ok: false, reason: expect.stringContaining('is 31 bytes long') });
  });
  it('refuses a token with a space in it', () => {
    expect(internalTokenFrom({ STRANGLER_INTERNAL_TOKEN: `${'x'.repeat(32)} y` })).toMatchObject({ ok: false });
  });
  it('accepts 32 printable bytes', () => {
    expect(internalTokenFrom({ STRANGLER_INTERNAL_TOKEN: 'x'.repeat(32) })).toEqual({ ok: true, token: 'x'.repeat(32) });
  });
});

describe('tokenMatcher', () => {
  it('matches only the exact token', () => {
    const matches = tokenMatcher(TOKEN);
    expect([matches(TOKEN), matches(undefined), matches(''), matches(TOKEN.toUpperCase()), matches(`${TOKEN} `)]).toEqual([true, false, false, false, false]);
  });
});

describe('defineService with internal routes', () => {
  it('refuses an internal route outside /_internal/v1/<name>/', () => {
    const internal = internalRoutes();
    internal.get('/_internal/v1/other/x', (c) => c.text('x'));
    expect(() => defineService({ name: 'echo', internal })).toThrow(/\/_internal\/v1\/other\/x; internal routes of this service must live under \/_internal\/v1\/echo\//);
  });
});
