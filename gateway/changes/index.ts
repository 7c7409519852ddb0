/**
 * Change notifications: the bus every interested part subscribes to, and the internal endpoint through
 * which the legacy app publishes on it after each commit.
 */
export { CHANGES_TOPIC, createChangeBus, type Change, type ChangeBus, type ChangeBusOptions, type ChangeHandler } from './bus.ts';
export { createChangesService, MAX_CHANGES_PER_CALL } from './service.ts';
