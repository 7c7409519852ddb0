/**
 * Copies of answers and request bodies for comparison, up to a cap: a tee that listens beside the
 * proxy's own pipe (it never pauses, reorders or delays the bytes the client gets) and stops copying at
 * the cap, marking the copy truncated.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { Captured } from '../compare/index.ts';
import { filterResponseHeaders } from '../proxy/headers.ts';

/** A body copied up to a cap. `complete` is false when the stream broke off before its end. */
export interface CopiedBody {
  readonly body: Buffer;
  readonly truncated: boolean;
  readonly complete: boolean;
}

/**
 * Copy what `stream` emits, up to `maxBytes`, as a second 'data' listener (the pipe to the client stays
 * the one that sets the pace). Resolves at its end, or when it breaks off; never rejects.
 *
 * @example
 * const copy = copyBody(proxyRes, 256 * 1024); // (await copy).truncated when the answer was larger
 */
export function copyBody(stream: Readable, maxBytes: number): Promise<CopiedBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let truncated = false;
    const done = (complete: boolean): void => {
      stream.off('data', onData);
      resolve({ body: Buffer.concat(chunks, kept), truncated, complete });
    };
    const onData = (chunk: Buffer): void => {
      if (truncated) return;
      if (kept + chunk.length > maxBytes) {
        truncated = true;
        return;
      }
      chunks.push(chunk);
      kept += chunk.length;
    };
    stream.on('data', onData);
    stream.once('end', () => done(true));
    stream.once('error', () => done(false));
    stream.once('close', () => done(stream.readableEnded));
  });
}

/** Header pairs as the comparison wants them: lower-case names, repeated ones joined with ', '. */
export function headerRecord(pairs: Iterable<readonly [string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
  }
  return out;
}

/**
 * Legacy's answer as the client gets it (hop-by-hop and identifying headers dropped, as the proxy does),
 * its body copied up to `maxBytes`. Resolves null when the answer broke off.
 *
 * @example
 * forward(req, res, legacy, { onResponse: (proxyRes) => (legacyAnswer = captureResponse(proxyRes, cap, req.method)) });
 */
export async function captureResponse(proxyRes: IncomingMessage, maxBytes: number, method: string): Promise<Captured | null> {
  const headers = headerRecord(filterResponseHeaders(proxyRes.rawHeaders, { keepTrailer: false }));
  const status = proxyRes.statusCode ?? 502;
  const copy = await copyBody(proxyRes, maxBytes);
  if (!copy.complete) return null;
  // A HEAD answer has no body, whatever its Content-Length says; the handler's is dropped to match.
  const body = method === 'HEAD' ? Buffer.alloc(0) : copy.body;
  return { status, headers, contentType: headers['content-type'] ?? null, body, truncated: copy.truncated };
}

/**
 * A Fetch answer (the TS handler's) read whole up to `maxBytes`; past it the rest is cancelled and the
 * copy marked truncated.
 *
 * @example
 * await readAnswer(await service.fetch(request, env), cap, 'GET'); // { status: 200, headers, body, truncated: false, ... }
 */
export async function readAnswer(res: Response, maxBytes: number, method: string): Promise<Captured> {
  const headers = headerRecord(res.headers);
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let truncated = false;
  const length = Number(res.headers.get('content-length') ?? Number.NaN);
  if (res.body !== null && Number.isInteger(length) && length <= maxBytes) {
    // A body of announced length within the cap: read whole, without a read loop.
    const whole = new Uint8Array(await res.arrayBuffer());
    chunks.push(whole);
    kept = whole.byteLength;
  } else if (res.body !== null) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (kept + value.byteLength > maxBytes) {
        truncated = true;
        await reader.cancel().catch(() => undefined);
        break;
      }
      chunks.push(value);
      kept += value.byteLength;
    }
  }
  const body = method === 'HEAD' ? Buffer.alloc(0) : Buffer.concat(chunks, kept);
  return { status: res.status, headers, contentType: headers['content-type'] ?? null, body, truncated };
}
