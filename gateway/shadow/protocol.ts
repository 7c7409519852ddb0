/**
 * The messages between a serving TS process and its shadow child, over the fork's IPC channel (advanced
 * serialization: Buffers travel as Buffers).
 */
import type { Difference } from '../compare/index.ts';
import type { ShadowEvent } from '../evidence/index.ts';
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
 * What the child recorded, for the serving process's metrics (the child writes the evidence itself; the
 * metrics live in the serving process, which a scrape asks).
 */
export type CountedEvent =
  | { readonly kind: 'shadow'; readonly route: string; readonly event: ShadowEvent; readonly ms?: number; readonly status?: number }
  | { readonly kind: 'comparison'; readonly route: string; readonly revision: string; readonly outcome: 'match' | 'mismatch' | 'noise' }
  | { readonly kind: 'noise'; readonly route: string; readonly differences: readonly Difference[] };

export type FromChild =
  | { readonly kind: 'ready' }
  /** The handler answered or failed (the child is alive and judged it); the copy may still hold its place. */
  | { readonly kind: 'answered'; readonly id: number; readonly counts: readonly CountedEvent[] }
  /** The copy is over: its place is free. */
  | { readonly kind: 'done'; readonly id: number; readonly counts: readonly CountedEvent[] };

export function isFromChild(message: unknown): message is FromChild {
  return typeof message === 'object' && message !== null && typeof (message as { kind?: unknown }).kind === 'string';
}
