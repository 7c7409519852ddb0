/**
 * One login across both sides, for any app: the TS server asks legacy whose session a cookie is (the
 * app's resolve endpoint, served by legacy-python/strangler_identity.py), caches the answer briefly, and
 * forgets it when legacy relays a logout. The contract is docs/identity.md; cookie name and resolve path
 * are options, read from configuration by the app's composition, never constants here.
 *
 * @example
 * const identity = createIdentityResolver({ legacy: createInternalCaller({ baseUrl, token }), cookieName: 'session' });
 * const services = [myService(identity), createIdentityService(identity)];
 * const user = await identity.identify(c.req.header('cookie'), requestId); // { user_id: 1, … } or null
 */
export { cookieValue, isCookieName } from './cookies.ts';
export { createIdentityResolver, tokenSha256, DEFAULT_RESOLVE_PATH, MAX_TOKEN_CHARS, type Identity, type IdentityResolver, type IdentityResolverOptions } from './resolver.ts';
export { createIdentityService, type IdentityServiceOptions } from './service.ts';
