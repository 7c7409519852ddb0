/**
 * The shadow child: forked by each serving TS process (./process-runner.ts) with the same environment, it
 * composes the app's services as a worker does (STRANGLER_SERVICES, the same ServiceContext) but opens
 * no listener. It takes copies over IPC, runs them (./child.ts), sends what it found back for the parent
 * to record (it never takes the state file's write lock: at the lowest CPU priority it could hold it
 * starved while the parent waits), and exits when told to finish or when its parent is gone. It runs at
 * the lowest CPU priority (set by the parent).
 *
 * @example
 * fork('gateway/shadow/child-main.ts', [], { serialization: 'advanced' }); // what forkShadowChild does
 */
import { Agent } from 'node:http';
import { readConfigOrFail, CONFIG_DEFAULTS } from '../config/index.ts';
import { createLogger, failWith, type Fail } from '../log/index.ts';
import { loadTableOrFail, noSiblings } from '../process/index.ts';
import type { ServiceSet } from '../server/index.ts';
import { mountService } from '../server/app.ts';
import { loadComposeServices } from '../server/services-module.ts';
import type { ShadowHandler } from './call.ts';
import { createShadowChild } from './child.ts';
import { createLegacyAgain } from './legacy-again.ts';
import type { FromChild, ToChild } from './protocol.ts';

const env = process.env;
const config = readConfigOrFail(env, process.cwd(), failWith(createLogger('ts-shadow', CONFIG_DEFAULTS.LOG_LEVEL)));
const logger = createLogger('ts-shadow', config.logLevel).child({ pid: process.pid, shadow: true });
const fail: Fail = failWith(logger);
if (!config.token.ok) fail('refused', `shadow process not starting: ${config.token.reason}`);
if (process.send === undefined) fail('refused', 'the shadow process runs only as the child of a TS server (it takes its copies over IPC)');
const table = loadTableOrFail(config.routesFile, env, fail);

let serviceSet: ServiceSet;
try {
  const compose = await loadComposeServices(config.servicesModule);
  serviceSet = compose(env, logger, {
    legacyUrl: table.backends.legacy.url,
    internalToken: config.token.ok ? config.token.token : '',
    siblings: noSiblings,
    identity: config.identity,
    proxyTimeoutMs: table.settings.proxyTimeoutMs,
  });
} catch (err) {
  fail('refused', `shadow process not starting: the services could not be set up: ${(err as Error).message}`);
}
// Each service as the server mounts it.
const handlers = new Map<string, ShadowHandler>();
for (const service of serviceSet.services) if (service.app) handlers.set(service.name, mountService(service.app, serviceSet.notFound));

const agent = new Agent({ keepAlive: true });
const send = (message: FromChild): void => {
  if (process.connected) process.send!(message, undefined, undefined, () => undefined);
};
const shadowChild = createShadowChild({ logger, askLegacyAgain: createLegacyAgain(agent), handlers, send });

let finishing = false;
async function finish(graceMs: number): Promise<void> {
  if (finishing) return;
  finishing = true;
  await Promise.race([shadowChild.idle(), new Promise((done) => setTimeout(done, graceMs).unref())]);
  agent.destroy();
  try {
    await serviceSet.close();
  } catch (err) {
    logger.error({ event: 'services_close_failed', err }, 'closing the services failed');
  }
  process.exit(0);
}

process.on('message', (message: ToChild) => {
  if (message.kind === 'copy' && !finishing) void shadowChild.run(message);
  else if (message.kind === 'finish') void finish(message.graceMs);
});
// The serving process is gone (or closed the channel): write what was found and go.
process.on('disconnect', () => void finish(500));
// The serving process tells the child to finish; a signal from elsewhere (a terminal's Ctrl-C) is the same.
process.on('SIGTERM', () => void finish(500));
process.on('SIGINT', () => undefined);
send({ kind: 'ready' });
logger.debug({ event: 'shadow_child_ready', services: [...handlers.keys()] }, 'shadow process ready');
