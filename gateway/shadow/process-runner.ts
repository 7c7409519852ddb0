/**
 * Shadow copies in a separate, low-priority process: the serving process applies the same bounds as the
 * inline runner (method, sample, body caps), tees legacy's answer, and once the user's answer is complete
 * queues the copy for its shadow child (./child-main.ts), which calls the handler, asks legacy again for
 * noise, compares and sends back what it found. The serving process never waits for the child. A route's
 * cap (`max_concurrent`) bounds the copies the child runs at once; the rest wait here in order, so a burst
 * the child cannot take at once is compared a moment later rather than dropped. The wait is bounded (256
 * copies, 32 MiB, 30 s each): past it a copy is dropped and counted. The child runs at the lowest CPU
 * priority, so copies take only the CPU users leave; a child that dies or stops answering (a handler
 * looping forever) is killed, its copies counted `failed`, and a new one started after a backoff, while
 * the users' answers keep flowing.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Captured } from '../compare/index.ts';
import type { EvidenceRecorder } from '../evidence/index.ts';
import type { Logger } from '../log/index.ts';
import { admit, createSlots } from './admit.ts';
import { captureResponse, copyBody, type CopiedBody } from './capture.ts';
import type { JudgedCopy } from './judge.ts';
import { isFromChild, type CopyMessage, type CountedEvent, type ToChild } from './protocol.ts';
import type { ShadowCopy, ShadowRequest, ShadowRunner } from './runner.ts';

/** The lowest priority (nice 19): the child runs when no user request wants the CPU. */
export const SHADOW_CHILD_PRIORITY = 19;
/** How much may wait for the shadow process before a copy is dropped. */
export interface WaitLimits {
  /** Copies admitted and not yet done (waiting here, or with the child), over every route. */
  readonly copies: number;
  /** Bytes of captured answers and request bodies waiting here for the child. */
  readonly bytes: number;
  /** A copy that waited this long for the child is dropped: its legacy answer is too old to compare with now. */
  readonly ms: number;
}
export const WAIT_LIMITS: WaitLimits = Object.freeze({ copies: 256, bytes: 32 * 1024 * 1024, ms: 30_000 });
// Messages written to the channel whose write has not completed yet; past this the child is not reading.
const MAX_UNWRITTEN = 32;
const NICE = ['/usr/bin/nice', '/bin/nice'];
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 10_000;
// A child that lived this long before dying was healthy: the next restart starts from the shortest backoff.
const HEALTHY_AFTER_MS = 30_000;

export interface ProcessRunnerOptions {
  /**
   * Where every copy's events go: those made here (skipped, dropped, too large, `failed` for a copy lost
   * with its child) and what the child found, which it sends here rather than write itself.
   */
  readonly recorder: Pick<EvidenceRecorder, 'shadow' | 'comparison' | 'noiseCheck'>;
  readonly logger: Logger;
  /** The handler's time limit (the route table's proxy timeout); the child enforces it itself. */
  readonly timeoutMs: number;
  /** Starts a shadow child (default {@link forkShadowChild}). */
  readonly spawn?: () => ChildProcess;
  /** In [0, 1): the sample draw. */
  readonly random?: () => number;
  readonly limits?: WaitLimits;
  /** The clock the waiting copies' age is read on. */
  readonly now?: () => number;
}

interface Outstanding {
  readonly route: string;
  /** Set once the copy is sent to the child (it then counts in the route's cap): silence past it kills the child. */
  timer: NodeJS.Timeout | null;
  answered: boolean;
}

/** A copy waiting for the child: for a free place in its route's cap, or for the child to start. */
interface Waiting {
  readonly message: CopyMessage;
  readonly since: number;
  readonly bytes: number;
}

/**
 * Fork the shadow child with this process's environment and arguments (a cluster worker's identity
 * left out: the child is not a worker).
 *
 * @example
 * const child = forkShadowChild();
 */
export function forkShadowChild(): ChildProcess {
  const env = { ...process.env };
  delete env.NODE_UNIQUE_ID;
  const main = fileURLToPath(new URL('./child-main.ts', import.meta.url));
  // Started under `nice -n 19` where nice is at hand, so every thread of the child (V8's and libuv's too,
  // which a priority set after the start would miss) has the lowest share of a busy CPU. Not SCHED_IDLE:
  // on a host that stays saturated it starved the child outright, and the evidence never came.
  const nice = NICE.find((path) => existsSync(path));
  if (nice === undefined) return fork(main, [], { env, serialization: 'advanced', execArgv: process.execArgv });
  return fork(main, [], { env, serialization: 'advanced', execPath: nice, execArgv: ['-n', String(SHADOW_CHILD_PRIORITY), process.execPath, ...process.execArgv] });
}

/**
 * @example
 * const shadows = createProcessShadowRunner({ recorder, counter: metrics.countEvidence(NO_RECORDING), logger, timeoutMs });
 * const copy = shadows.begin({ plan, method, target, incoming, requestId, handler, legacyUrl });
 * await shadows.close(2_000); // at shutdown
 */
export function createProcessShadowRunner(options: ProcessRunnerOptions): ShadowRunner {
  const { recorder, logger, timeoutMs, spawn = forkShadowChild, random = Math.random, limits = WAIT_LIMITS, now = Date.now } = options;
  // Copies admitted and not yet done, per route (waiting here or with the child).
  const slots = createSlots();
  // Copies the child is running, per route: what the route's cap bounds.
  const running = createSlots();
  // The child enforces the time limit; silence well past it means it is not running its event loop.
  const silenceMs = Math.max(2 * timeoutMs, timeoutMs + 1000);
  const outstanding = new Map<number, Outstanding>();
  let child: ChildProcess | null = null;
  // The child says when it can take copies; until then (and while one is restarting) they wait here.
  let ready = false;
  let restarting = false;
  let waiting: Waiting[] = [];
  let waitingBytes = 0;
  let pumping = false;
  let pumpAgain = false;
  let nextId = 1;
  let unwritten = 0;
  let closing = false;
  let restartMs = RESTART_MIN_MS;
  let exited: Promise<void> = Promise.resolve();

  const count = (events: readonly CountedEvent[]): void => {
    for (const e of events) {
      if (e.kind === 'shadow') recorder.shadow(e.route, e.event, e.ms, e.status);
      else if (e.kind === 'comparison') recorder.comparison(e.route, e.revision, e.outcome, e.differences, e.sample);
      else recorder.noiseCheck(e.route, e.differences, e.stable);
    }
  };

  const settle = (id: number): void => {
    const entry = outstanding.get(id);
    if (entry === undefined) return;
    if (entry.timer !== null) {
      clearTimeout(entry.timer);
      running.release(entry.route);
    }
    outstanding.delete(id);
    slots.release(entry.route);
    pump();
  };

  /** A waiting copy that will not be sent: counted, its place freed. */
  const drop = (item: Waiting): void => {
    recorder.shadow(item.message.copy.route.path, 'dropped-concurrency');
    settle(item.message.id);
  };

  function start(): void {
    const startedAt = Date.now();
    restarting = false;
    const proc = spawn();
    child = proc;
    ready = false;
    unwritten = 0;
    try {
      if (proc.pid !== undefined) setPriority(proc.pid, SHADOW_CHILD_PRIORITY);
    } catch (err) {
      logger.warn({ event: 'shadow_priority_failed', pid: proc.pid, err }, `could not lower the shadow process's priority (it runs at normal priority): ${(err as Error).message}`);
    }
    logger.info({ event: 'shadow_child_started', pid: proc.pid }, `shadow process ${proc.pid} started`);
    proc.on('message', (message: unknown) => {
      if (!isFromChild(message)) return;
      if (message.kind === 'ready') {
        ready = true;
        return pump();
      }
      count(message.counts);
      if (message.kind === 'answered') {
        const entry = outstanding.get(message.id);
        if (entry !== undefined) entry.answered = true;
      } else settle(message.id);
    });
    // A channel error (the child gone mid-write) is followed by its exit: handled there.
    proc.on('error', (err) => logger.warn({ event: 'shadow_child_error', pid: proc.pid, err }, `the shadow process failed: ${err.message}`));
    exited = new Promise((done) =>
      proc.once('exit', (code, signal) => {
        if (child === proc) child = null;
        if (!closing) restarting = true;
        // Copies the child had and had not answered are lost with it: counted failed, their places freed.
        // Copies still waiting for a child wait for the next one.
        for (const [id, entry] of outstanding) {
          if (entry.timer === null) continue;
          if (!entry.answered) recorder.shadow(entry.route, 'failed');
          settle(id);
        }
        done();
        if (closing) return;
        if (Date.now() - startedAt >= HEALTHY_AFTER_MS) restartMs = RESTART_MIN_MS;
        logger.warn(
          { event: 'shadow_child_exited', pid: proc.pid, code, signal, restart_in_ms: restartMs },
          `shadow process ${proc.pid} exited (${signal ?? code}); restarting in ${restartMs} ms`,
        );
        setTimeout(() => closing || start(), restartMs).unref();
        restartMs = Math.min(RESTART_MAX_MS, restartMs * 2);
      }),
    );
  }

  const send = (message: ToChild): boolean => {
    const proc = child;
    if (proc === null || !proc.connected) return false;
    unwritten++;
    try {
      proc.send(message, (err) => {
        if (proc === child) {
          unwritten--;
          pump();
        }
        if (err) logger.debug({ event: 'shadow_send_failed', err }, 'a copy could not be handed to the shadow process');
      });
      return true;
    } catch {
      unwritten--;
      return false;
    }
  };

  function handOver(route: string, handler: string, copy: JudgedCopy, body: Buffer | null): void {
    const bytes = copy.legacy.body.length + (body?.length ?? 0);
    if (closing || waitingBytes + bytes > limits.bytes) {
      // Shutting down, or as much as may wait is waiting already: dropped, and counted so.
      recorder.shadow(route, 'dropped-concurrency');
      slots.release(route);
      return;
    }
    const id = nextId++;
    outstanding.set(id, { route, timer: null, answered: false });
    waiting.push({ message: { kind: 'copy', id, handler, copy, body }, since: now(), bytes });
    waitingBytes += bytes;
    pump();
  }

  /**
   * Send the child what it may take now, oldest first: a copy goes when its route has a free place in its
   * cap and the channel is not backed up. Copies that waited too long are dropped; the first copy (or one
   * after a death whose backoff is over) starts the child.
   */
  function pump(): void {
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        pumpOnce();
      } while (pumpAgain);
    } finally {
      pumping = false;
    }
  }

  function pumpOnce(): void {
    if (closing || waiting.length === 0) return;
    const staleBefore = now() - limits.ms;
    const items = waiting;
    waiting = [];
    const proc = child !== null && ready ? child : null;
    for (const item of items) {
      const { route } = item.message.copy;
      if (item.since < staleBefore) {
        waitingBytes -= item.bytes;
        drop(item);
      } else if (proc !== null && unwritten < MAX_UNWRITTEN && running.inFlight(route.path) < route.shadow.maxConcurrent) {
        waitingBytes -= item.bytes;
        dispatch(proc, item.message);
      } else waiting.push(item);
    }
    // Started with the first copy: a server that shadows nothing holds no shadow process.
    if (child === null && !restarting && waiting.length > 0) start();
  }

  function dispatch(proc: ChildProcess, message: CopyMessage): void {
    const entry = outstanding.get(message.id);
    if (entry === undefined) return;
    const { route } = entry;
    running.take(route);
    entry.timer = setTimeout(() => {
      if (entry.answered || !outstanding.has(message.id)) return;
      // Silent well past the handler's limit: the child is stuck (a handler looping on its event loop).
      entry.answered = true;
      recorder.shadow(route, 'failed');
      logger.warn(
        { event: 'shadow_child_unresponsive', pid: proc.pid, route, silent_ms: silenceMs },
        `shadow process ${proc.pid} said nothing for ${silenceMs} ms about a copy of ${route}; killing it`,
      );
      proc.kill('SIGKILL');
    }, silenceMs);
    entry.timer.unref();
    if (!send(message)) {
      // The child is going (its exit counts the copies it had); this one was never sent.
      entry.answered = true;
      recorder.shadow(route, 'dropped-concurrency');
      settle(message.id);
    }
  }

  function begin(request: ShadowRequest): ShadowCopy | null {
    const { plan, method, incoming } = request;
    const { route } = plan;
    const handler = plan.shadow?.handler ?? null;
    // The route's cap bounds what the child runs at once (above); here only the total waiting is bounded.
    const admitted = admit(plan, method, incoming, request.handler !== undefined && handler !== null, { recorder, slots, random, full: () => slots.total() >= limits.copies });
    if (admitted === null || handler === null) return null;
    const { maxBodyBytes } = route.shadow;
    const requestBody: Promise<CopiedBody | null> = admitted.hasBody ? copyBody(incoming, maxBodyBytes) : Promise.resolve(null);
    let legacyAnswer: Promise<Captured | null> = Promise.resolve(null);
    return {
      onUpstreamRequest() {
        // The copy starts once the user's answer is complete: legacy's captured answer goes with it.
      },
      onResponse(proxyRes) {
        legacyAnswer = captureResponse(proxyRes, maxBodyBytes, method);
      },
      done(outcome) {
        void (async () => {
          const legacy = await legacyAnswer;
          const body = await requestBody;
          // Legacy failed or the client left: nothing to compare with (the access log counts it).
          if (outcome.failure !== null || legacy === null || (body !== null && !body.complete)) return slots.release(route.path);
          if (legacy.truncated || body?.truncated === true) {
            recorder.shadow(route.path, 'too-large');
            return slots.release(route.path);
          }
          const copy: JudgedCopy = {
            route,
            revision: plan.revision,
            method,
            target: request.target,
            headers: { ...incoming.headers },
            requestId: request.requestId,
            legacyUrl: request.legacyUrl,
            legacy,
            timeoutMs,
          };
          // After this turn of the event loop: the access line and the next request on the socket come first.
          setImmediate(() => handOver(route.path, handler, copy, body?.body ?? null));
        })().catch((err: unknown) => {
          logger.error({ event: 'shadow_error', request_id: request.requestId, route: route.path, err }, 'the shadow copy failed unexpectedly');
          slots.release(route.path);
        });
      },
    };
  }

  async function close(graceMs: number): Promise<void> {
    closing = true;
    // Copies still waiting for a shadow process will not get one: dropped, and counted so.
    for (const item of waiting.splice(0)) drop(item);
    waitingBytes = 0;
    const proc = child;
    if (proc === null) return;
    if (!send({ kind: 'finish', graceMs })) proc.kill('SIGKILL');
    const kill = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    kill.unref();
    await exited;
    clearTimeout(kill);
  }

  return { begin, inFlight: slots.inFlight, idle: slots.idle, close };
}
