/**
 * nginx's fallbacks, counted: nginx keeps no counters a process can read, but its access line says when
 * legacy answered for the TS server (`"fallback":"legacy"`, gateway/nginx/access-log.ts). This tailer
 * follows `<prefix>/access.log` from where it stood at start (lines of earlier runs are not counted
 * again) and records each such line in the evidence store, so the demoter sees nginx's fallbacks as it
 * sees the edge's and the TS server's. A truncated or replaced file (log rotation) is read from its start.
 *
 * @example
 * const tailer = tailNginxFallbacks({ file: join(prefix, 'access.log'), record: (route, reason) => recorder.fallback(route, 'nginx', reason) });
 * await tailer.stop();
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export const TAIL_POLL_MS = 250;
// A read of at most this much per poll: a burst is taken over a few polls, never all in memory at once.
const MAX_READ_BYTES = 1024 * 1024;

export type NginxFallbackReason = 'ts-unreachable' | 'ts-timeout';

export interface NginxFallbackTailerOptions {
  /** nginx's access log (`<prefix>/access.log`); it need not exist yet. */
  readonly file: string;
  /** Called once per access line of a fallback, with its route and why (504 first: a silence; else unreachable). */
  readonly record: (route: string, reason: NginxFallbackReason) => void;
  readonly pollMs?: number;
  /** Told about a line that is not the access schema's JSON (it is skipped). */
  readonly onBadLine?: (line: string) => void;
}

export interface NginxFallbackTailer {
  /** Read what is left, then stop. */
  stop(): Promise<void>;
}

export function tailNginxFallbacks({ file, record, pollMs = TAIL_POLL_MS, onBadLine }: NginxFallbackTailerOptions): NginxFallbackTailer {
  let offset = sizeOf(file)?.size ?? 0;
  let inode = sizeOf(file)?.ino ?? null;
  let partial = '';
  const readNew = (): void => {
    const now = sizeOf(file);
    if (now === null) return;
    // Rotated (another file) or truncated: what is there now is new.
    if (now.ino !== inode || now.size < offset) {
      inode = now.ino;
      offset = 0;
      partial = '';
    }
    while (offset < now.size) {
      const length = Math.min(now.size - offset, MAX_READ_BYTES);
      const buffer = Buffer.alloc(length);
      const fd = openSync(file, 'r');
      let read: number;
      try {
        read = readSync(fd, buffer, 0, length, offset);
      } finally {
        closeSync(fd);
      }
      if (read === 0) break;
      offset += read;
      const lines = (partial + buffer.subarray(0, read).toString('utf8')).split('\n');
      // The last piece is a line nginx has not finished writing, or '' after a newline.
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.includes('"fallback":"legacy"')) countLine(line);
    }
  };
  const countLine = (line: string): void => {
    try {
      const entry = JSON.parse(line) as { route?: unknown; fallback?: unknown; upstream_status?: unknown };
      if (entry.fallback !== 'legacy' || typeof entry.route !== 'string') return;
      // "504, 200": TS said nothing before the proxy timeout; "502, 200" (or a reset): unreachable.
      const first = typeof entry.upstream_status === 'string' ? entry.upstream_status.split(',')[0]!.trim() : '';
      record(entry.route, first === '504' ? 'ts-timeout' : 'ts-unreachable');
    } catch {
      onBadLine?.(line);
    }
  };
  const timer = setInterval(readNew, pollMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      readNew();
    },
  };
}

function sizeOf(file: string): { size: number; ino: number } | null {
  try {
    const stat = statSync(file);
    return { size: stat.size, ino: stat.ino };
  } catch {
    return null;
  }
}
