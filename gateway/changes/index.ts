/**
 * Change notifications: the bus every interested part subscribes to, the internal endpoint through
 * which the legacy app publishes on it after each commit, and the Redis relay that carries it across
 * processes and machines when REDIS_URL is set.
 */
export { CHANGES_TOPIC, createChangeBus, type Change, type ChangeBus, type ChangeBusOptions, type ChangeHandler } from './bus.ts';
export { createChangesService, MAX_CHANGES_PER_CALL } from './service.ts';
export { createRedisRelay, type RedisRelay, type RedisRelayOptions } from './redis.ts';
