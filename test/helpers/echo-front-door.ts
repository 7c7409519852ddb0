/**
 * A real front door (the Node edge process, or nginx on the config generated from the table) in front of
 * two echo backends named `legacy` and `ts`, for front-door suites that look at what reached each side.
 *
 * @example
 * const door = await startEchoFrontDoor('nginx', '  - { path: /api/v1/boards, mode: next, handler: boards }\n');
 * await sendRaw(door.url, 'GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
 * door.legacy.requests.at(-1)?.url; // '/x'
 * await door.stop();
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEchoBackend, type EchoBackend } from './echo-backend.ts';
import { startEdge, tempDir } from './processes.ts';
import { startNginx, type FrontDoorKind } from './stack.ts';

export interface EchoFrontDoor {
  readonly url: string;
  readonly port: number;
  readonly legacy: EchoBackend;
  readonly ts: EchoBackend;
  /** Whether the front door's process is still running. */
  alive(): boolean;
  /** Stop the front door and both backends, and remove the temporary directory. */
  stop(): Promise<void>;
}

/** A route table on the two echo backends: the default route `/` to legacy, then `routes` (YAML lines). */
const echoTable = (routes: string): string => `version: 1
backends:
  legacy: { url: "http://127.0.0.1:\${LEGACY_PORT}" }
  ts: { url: "http://127.0.0.1:\${TS_PORT}" }
routes:
  - { path: /, mode: legacy }
${routes}`;

/** Start both echo backends, then the front door on a table of the default route and `routes` (YAML lines). */
export async function startEchoFrontDoor(kind: FrontDoorKind, routes: string): Promise<EchoFrontDoor> {
  const [legacy, ts] = await Promise.all([startEchoBackend('legacy'), startEchoBackend('ts')]);
  const { dir, cleanup } = tempDir(`strangler-${kind}-echo-`);
  const stopBackends = async (): Promise<void> => {
    await Promise.all([legacy.close(), ts.close()]);
    cleanup();
  };
  writeFileSync(join(dir, 'routes.yaml'), echoTable(routes));
  const env = { ROUTES: join(dir, 'routes.yaml'), LEGACY_PORT: String(legacy.port), TS_PORT: String(ts.port), LOG_LEVEL: 'warn' };
  let front: { url: string; alive(): boolean; stop(): Promise<void> };
  try {
    if (kind === 'edge') {
      const edge = await startEdge(env);
      front = { url: edge.url, alive: () => edge.child.exitCode === null && edge.child.signalCode === null, stop: edge.stop };
    } else {
      const nginx = await startNginx(dir, env);
      let stopped = false;
      // nginx's master process is not exposed; a suite that cares sends a normal request after an odd one.
      front = {
        url: nginx.url,
        alive: () => !stopped,
        stop: async () => {
          stopped = true;
          await nginx.stop();
        },
      };
    }
  } catch (err) {
    await stopBackends();
    throw err;
  }
  return {
    url: front.url,
    port: Number(new URL(front.url).port),
    legacy,
    ts,
    alive: () => front.alive(),
    async stop() {
      await front.stop();
      await stopBackends();
    },
  };
}
