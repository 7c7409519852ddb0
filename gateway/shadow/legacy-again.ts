/**
 * Legacy asked a second time for a request it has just answered, to measure noise: what differs between
 * two of its own answers is not the TS handler's fault. The request goes through the proxy's keep-alive
 * agent with the same headers the proxy sent, plus `X-Strangler-Shadow: 1` so the app can tell it is a
 * copy (and not count it as a view). Only safe requests are asked twice; they carry no body.
 */
import { request, type Agent, type IncomingHttpHeaders } from 'node:http';
import type { Captured } from '../compare/index.ts';
import { buildRequestHeaders } from '../proxy/headers.ts';
import { captureResponse } from './capture.ts';
import { SHADOW_HEADER } from './header.ts';

export interface LegacyAgainRequest {
  /** Legacy's base URL (the table's `backends.legacy.url`). */
  readonly legacyUrl: string;
  readonly method: string;
  /** Path and query as the proxy sent them. */
  readonly target: string;
  /** The client's headers as the TS server received them. */
  readonly headers: IncomingHttpHeaders;
  readonly requestId: string;
  readonly maxBodyBytes: number;
  readonly timeoutMs: number;
}

/** Ask legacy again; resolves with its answer, or null when it failed, broke off or took too long. */
export type AskLegacyAgain = (ask: LegacyAgainRequest) => Promise<Captured | null>;

/**
 * @example
 * const again = createLegacyAgain(proxy.agent);
 * const second = await again({ legacyUrl, method: 'GET', target: '/api/v1/boards/x/threads', headers, requestId, maxBodyBytes, timeoutMs });
 */
export function createLegacyAgain(agent: Agent | undefined): AskLegacyAgain {
  return (ask) =>
    new Promise((resolve) => {
      const base = new URL(ask.legacyUrl);
      const headers = buildRequestHeaders(ask.headers, { 'x-request-id': ask.requestId, [SHADOW_HEADER]: '1', 'content-length': undefined, 'transfer-encoding': undefined });
      const req = request({ host: base.hostname, port: base.port, method: ask.method, path: ask.target, headers, ...(agent ? { agent } : {}), timeout: ask.timeoutMs });
      req.once('response', (res) => void captureResponse(res, ask.maxBodyBytes, ask.method).then(resolve));
      req.once('timeout', () => req.destroy(new Error(`legacy said nothing for ${ask.timeoutMs} ms`)));
      req.once('error', () => resolve(null));
      req.end();
    });
}
