/**
 * When is an app that logs nothing in particular ready? When its port accepts a TCP connection, or, for
 * an app that listens before it can serve, when a health path answers with a status below 500.
 *
 * @example
 * const result = await waitUntilReady({ host: '127.0.0.1', port: 8090, httpPath: '/healthz', timeoutMs: 30_000 });
 * if (!result.ok) console.error(result.reason); // "GET /healthz answered 503 (last try)"
 */
import { request } from 'node:http';
import { isListening } from './index.ts';

const POLL_MS = 100;
const PROBE_TIMEOUT_MS = 2_000;

export interface Readiness {
  readonly host: string;
  readonly port: number;
  /** A path whose answer below 500 means ready; without it, an accepted TCP connection does. */
  readonly httpPath?: string;
  readonly timeoutMs: number;
  /** Stop waiting early (e.g. the process exited); checked before every try. */
  readonly abandoned?: () => boolean;
}

export type ReadyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Poll until ready, the deadline passes or `abandoned()` says stop; the reason names the last try. */
export async function waitUntilReady({ host, port, httpPath, timeoutMs, abandoned = () => false }: Readiness): Promise<ReadyResult> {
  const deadline = Date.now() + timeoutMs;
  let last = 'never tried';
  while (!abandoned()) {
    last = httpPath ? await probeHttp(host, port, httpPath) : (await isListening(host, port)) ? 'ready' : `nothing accepted a connection on ${host}:${port}`;
    if (last === 'ready') return { ok: true };
    if (Date.now() >= deadline) break;
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
  return { ok: false, reason: last };
}

function probeHttp(host: string, port: number, path: string): Promise<string> {
  return new Promise((done) => {
    const req = request({ host, port, path, method: 'GET', agent: false, timeout: PROBE_TIMEOUT_MS, headers: { connection: 'close' } }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      done(status < 500 ? 'ready' : `GET ${path} answered ${status}`);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)));
    req.on('error', (err) => done(`GET ${path} on ${host}:${port} failed: ${err.message}`));
    req.end();
  });
}
