/** The messages between the live benchmark and its client processes (over Node's IPC channel). */

export type LiveKind = 'sse' | 'ws';

export interface OpenCommand {
  readonly type: 'open';
  readonly kind: LiveKind;
  readonly host: string;
  readonly port: number;
  /** `/live/t/<id>` for SSE, `/api/v2/live` for WebSocket. */
  readonly path: string;
  /** What a WebSocket connection subscribes to once upgraded, e.g. `thread:12`. */
  readonly topic: string;
  readonly count: number;
  /** Loopback source addresses the connections are spread over, so ephemeral ports never run out. */
  readonly sourceAddresses: readonly string[];
  readonly deadlineMs: number;
}

export type ClientCommand = OpenCommand | { readonly type: 'arm' } | { readonly type: 'collect'; readonly withTimes: boolean } | { readonly type: 'close' };

interface Counts {
  /** Connections open and subscribed. */
  readonly ready: number;
  /** Connections the server closed, or that failed, since they were opened. */
  readonly lost: number;
  /** The first few distinct errors seen. */
  readonly errors: readonly string[];
}

export type ClientReply =
  | ({ readonly type: 'opened' } & Counts)
  | ({ readonly type: 'armed' } & Counts)
  | ({ readonly type: 'receipts'; readonly received: number; readonly times: readonly number[] } & Counts)
  | { readonly type: 'closed' };
