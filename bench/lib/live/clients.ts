/**
 * The live benchmark's clients: a few processes (bench/lib/live/client-process.ts) that between them
 * hold thousands of idle SSE or WebSocket connections on raw sockets, spread over loopback source
 * addresses, and report when each connection saw a post.
 *
 * @example
 * const clients = await ctx.own(startLiveClients(2));
 * await clients.open({ kind: 'sse', url: ts.url, path: '/live/t/7', topic: 'thread:7' }, 10_000, 120_000);
 * await clients.arm();
 * const sentAt = wallClockMs(); await post();
 * const { times } = await clients.receipts(10_000, 30_000);
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ROOT, stopChild } from '../../../test/helpers/processes.ts';
import { raisedLimitCommand } from './proc.ts';
import type { ClientCommand, ClientReply, LiveKind } from './protocol.ts';

const CLIENT_SCRIPT = fileURLToPath(new URL('./client-process.ts', import.meta.url));
const COLLECT_EVERY_MS = 50;

/** Wall-clock milliseconds with sub-millisecond precision, the clock the client processes stamp receipts with. */
export const wallClockMs = (): number => performance.timeOrigin + performance.now();

export interface LiveTarget {
  readonly kind: LiveKind;
  /** The server's base URL, e.g. http://127.0.0.1:8081. */
  readonly url: string;
  readonly path: string;
  readonly topic: string;
}

export interface OpenResult {
  readonly ready: number;
  readonly lost: number;
  readonly errors: readonly string[];
}

export interface Receipts extends OpenResult {
  readonly received: number;
  /** Wall-clock receipt times of every connection that saw the post. */
  readonly times: readonly number[];
}

export interface LiveClients {
  /** Open `count` connections to `target` across the processes; resolves when all are ready or at the deadline. */
  open(target: LiveTarget, count: number, deadlineMs: number): Promise<OpenResult>;
  /** From now on, note the first post each connection sees. */
  arm(): Promise<void>;
  /** Wait until `expected` connections saw the post, or the deadline; then every receipt time. */
  receipts(expected: number, deadlineMs: number): Promise<Receipts>;
  /** Close every connection (each client ends its side) and wait until they are closed. */
  closeAll(): Promise<void>;
  stop(): Promise<void>;
}

class ClientProcess {
  readonly child: ChildProcess;
  readonly #waiting = new Map<ClientReply['type'], (reply: ClientReply) => void>();

  constructor(child: ChildProcess) {
    this.child = child;
    child.on('message', (reply: ClientReply) => {
      const waiter = this.#waiting.get(reply.type);
      this.#waiting.delete(reply.type);
      waiter?.(reply);
    });
  }

  ask<T extends ClientReply['type']>(command: ClientCommand, answer: T): Promise<Extract<ClientReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const gone = (): void => reject(new Error(`a live client process exited (code ${this.child.exitCode}) before answering '${command.type}'`));
      this.child.once('exit', gone);
      this.#waiting.set(answer, (reply) => {
        this.child.off('exit', gone);
        resolve(reply as Extract<ClientReply, { type: T }>);
      });
      this.child.send(command);
    });
  }
}

const sum = (replies: readonly OpenResult[]): OpenResult => ({
  ready: replies.reduce((n, r) => n + r.ready, 0),
  lost: replies.reduce((n, r) => n + r.lost, 0),
  errors: [...new Set(replies.flatMap((r) => r.errors))].slice(0, 5),
});

/** Split `count` into `parts` near-equal whole shares. */
const shares = (count: number, parts: number): number[] => Array.from({ length: parts }, (_, i) => Math.floor(count / parts) + (i < count % parts ? 1 : 0));

/**
 * Start `processes` client processes, each with its file-descriptor limit raised to the hard limit and
 * its own two loopback source addresses (127.0.0.2 and up).
 */
export async function startLiveClients(processes: number): Promise<LiveClients> {
  const clients = Array.from({ length: processes }, () => {
    const [command, args] = raisedLimitCommand(process.execPath, ['--import', 'tsx', CLIENT_SCRIPT]);
    return new ClientProcess(spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  });
  const sourceAddresses = (i: number): string[] => [`127.0.0.${2 + 2 * i}`, `127.0.0.${3 + 2 * i}`];
  const all = <T extends ClientReply['type']>(command: ClientCommand, answer: T) => Promise.all(clients.map((c) => c.ask(command, answer)));

  return {
    async open(target, count, deadlineMs) {
      const { hostname, port } = new URL(target.url);
      const counts = shares(count, clients.length);
      const replies = await Promise.all(
        clients.map((c, i) =>
          c.ask(
            {
              type: 'open',
              kind: target.kind,
              host: hostname,
              port: Number(port),
              path: target.path,
              topic: target.topic,
              count: counts[i]!,
              sourceAddresses: sourceAddresses(i),
              deadlineMs,
            },
            'opened',
          ),
        ),
      );
      return sum(replies);
    },
    async arm() {
      await all({ type: 'arm' }, 'armed');
    },
    async receipts(expected, deadlineMs) {
      const deadline = Date.now() + deadlineMs;
      for (;;) {
        const replies = await all({ type: 'collect', withTimes: false }, 'receipts');
        const received = replies.reduce((n, r) => n + r.received, 0);
        if (received >= expected || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, COLLECT_EVERY_MS));
      }
      const replies = await all({ type: 'collect', withTimes: true }, 'receipts');
      return { ...sum(replies), received: replies.reduce((n, r) => n + r.received, 0), times: replies.flatMap((r) => r.times) };
    },
    async closeAll() {
      await all({ type: 'close' }, 'closed');
    },
    async stop() {
      await Promise.all(clients.map((c) => stopChild(c.child)));
    },
  };
}
