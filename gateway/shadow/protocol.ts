/**
 * The messages between a serving TS process and its shadow child, over the fork's IPC channel (advanced
 * serialization: Buffers travel as Buffers).
 */
import type { Difference } from '../compare/index.ts';
import type { Sample, ShadowEvent } from '../evidence/index.ts';
import type { JudgedCopy } from './judge.ts';

/** A copy for the child: legacy's captured answer, the request, the route's settings, the handler to call. */
export interface CopyMessage {
  readonly kind: 'copy';
  readonly id: number;
  readonly handler: string;
  readonly copy: JudgedCopy;
  readonly body: Buffer | null;
}
/** Shutdown: finish the copies in flight (for up to `graceMs`), write the evidence, exit. */
export interface FinishMessage {
  readonly kind: 'finish';
  readonly graceMs: number;
}
export type ToChild = CopyMessage | FinishMessage;

/**
 * What the child found, for the serving process to record. The child never writes the state file: it
 * runs at the lowest priority, and a starved child holding SQLite's write lock would stall the serving
 * process's own writes (a priority inversion that showed as a p99 twice plain legacy's under load).
 */
export type CountedEvent =
  | { readonly kind: 'shadow'; readonly route: string; readonly event: ShadowEvent; readonly ms?: number; readonly status?: number }
  | {
      readonly kind: 'comparison';
      readonly route: string;
      readonly revision: string;
      readonly outcome: 'match' | 'mismatch' | 'noise';
      readonly differences: readonly Difference[];
      readonly sample?: Sample;
    }
  | { readonly kind: 'noise'; readonly route: string; readonly differences: readonly Difference[]; readonly stable?: readonly string[] };

export type FromChild =
  | { readonly kind: 'ready' }
  /** The handler answered or failed (the child is alive and judged it); the copy may still hold its place. */
  | { readonly kind: 'answered'; readonly id: number; readonly counts: readonly CountedEvent[] }
  /** The copy is over: its place is free. */
  | { readonly kind: 'done'; readonly id: number; readonly counts: readonly CountedEvent[] };

export function isFromChild(message: unknown): message is FromChild {
  return typeof message === 'object' && message !== null && typeof (message as { kind?: unknown }).kind === 'string';
}
