/**
 * The forum's sessions: the gateway's identity resolver (a cache of legacy's answer to "whose session is
 * this cookie?") typed for the forum, and the internal endpoint legacy calls on logout.
 */
export { createSessionResolver, sessionUser, type Session, type SessionResolver, type SessionResolverOptions } from './resolver.ts';
export { createIdentityService as createSessionsService } from '../../gateway/identity/index.ts';
