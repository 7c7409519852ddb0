/**
 * Drive HTTP load at one URL and read throughput and latency percentiles. wrk when installed (a C
 * client: on a two-core machine it leaves far more CPU to the servers than a Node client would),
 * autocannon through its programmatic API otherwise. wrk runs without a Lua script: plain GETs.
 *
 * @example
 * const result = await runLoad('wrk', 'http://127.0.0.1:8080/api/v1/threads/1000', { seconds: 5, connections: 16 });
 * result.rps; // 3896.98
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import type { Driver } from './options.ts';
import type { LoadResult } from './types.ts';

export interface LoadOptions {
  readonly seconds: number;
  readonly connections: number;
  /** Sent with every request (a session cookie, for a signed-in page). */
  readonly headers?: Readonly<Record<string, string>>;
}

// Legacy under load answers in tens of milliseconds; wrk's default 2 s would count a slow answer as lost.
const TIMEOUT_SECONDS = 10;
const MS_PER_UNIT = { us: 0.001, ms: 1, s: 1000, m: 60_000 } as const;

export function runLoad(driver: Driver, url: string, options: LoadOptions): Promise<LoadResult> {
  return driver === 'wrk' ? runWrk(url, options) : runAutocannon(url, options);
}

async function runWrk(url: string, { seconds, connections, headers = {} }: LoadOptions): Promise<LoadResult> {
  // One wrk thread: the client must not take the cores the servers need.
  const headerArgs = Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
  const args = ['-t', '1', '-c', String(connections), '-d', `${seconds}s`, '--timeout', `${TIMEOUT_SECONDS}s`, '--latency', ...headerArgs, url];
  const { stdout } = await promisify(execFile)('wrk', args, { encoding: 'utf8' });
  return { ...parseWrkOutput(stdout), seconds, connections };
}

/**
 * The figures of wrk's `--latency` text report.
 *
 * @example
 * parseWrkOutput(out); // { driver: 'wrk', requests: 7794, rps: 3896.98, p50Ms: 3.74, p99Ms: 8.27, non2xx: 0, socketErrors: 0 }
 */
export function parseWrkOutput(out: string): Omit<LoadResult, 'seconds' | 'connections'> {
  const percentileMs = (label: string): number => {
    const match = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    if (!match) throw new Error(`wrk printed no ${label}% latency (was --latency passed?):\n${out}`);
    return Number(match[1]) * MS_PER_UNIT[match[2] as keyof typeof MS_PER_UNIT];
  };
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  const requests = /^\s*(\d+) requests in /m.exec(out);
  if (!rps || !requests) throw new Error(`wrk printed no request count or rate:\n${out}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    driver: 'wrk',
    requests: Number(requests[1]),
    rps: Number(rps[1]),
    p50Ms: percentileMs('50'),
    p99Ms: percentileMs('99'),
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

/** The part of autocannon's result this harness reads (autocannon ships no types). */
interface AutocannonResult {
  readonly requests: { readonly average: number; readonly total: number };
  readonly latency: { readonly p50: number; readonly p99: number };
  readonly non2xx: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
}
type Autocannon = (options: { url: string; connections: number; duration: number; timeout: number; headers?: Record<string, string> }) => Promise<AutocannonResult>;

async function runAutocannon(url: string, { seconds, connections, headers = {} }: LoadOptions): Promise<LoadResult> {
  // Loaded only when wrk is missing; it is CommonJS.
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const result = await autocannon({ url, connections, duration: seconds, timeout: TIMEOUT_SECONDS, headers: { ...headers } });
  return {
    driver: 'autocannon',
    seconds,
    connections,
    requests: result.requests.total,
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    // autocannon counts a timeout in `errors` too.
    socketErrors: result.errors,
  };
}
