/**
 * HTTP/1.1 over a bare `node:net` socket, for requests no client library would send as written: path
 * tricks, absolute-form targets, forged Host lines, pipelining, malformed header lines, smuggling.
 * supertest and fetch normalize `/a/../b` before it leaves the process; this writes the exact bytes.
 *
 * @example
 * const answer = await sendRaw(front.url, 'GET /%5Finternal HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
 * parseResponses(answer).map((r) => r.status); // [404]
 */
import { connect } from 'node:net';

const DEFAULT_TIMEOUT_MS = 5000;

export interface SendRawOptions {
  /** Give up and resolve with what arrived so far; default 5 s. */
  readonly timeoutMs?: number;
}

/**
 * Write `bytes` on a fresh connection to `url` (`http://host:port`) and collect everything until the
 * server closes it, as latin1 so every byte survives. End the last request with `Connection: close`.
 * Rejects only when the connection fails before any byte arrives.
 */
export function sendRaw(url: string, bytes: string | Buffer, { timeoutMs = DEFAULT_TIMEOUT_MS }: SendRawOptions = {}): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes));
    const chunks: Buffer[] = [];
    let failure: Error | undefined;
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err) => (failure = err));
    // A server that refuses a request may reset the connection right after its answer; the answer counts.
    socket.on('close', () => (failure && chunks.length === 0 ? reject(failure) : resolve(Buffer.concat(chunks).toString('latin1'))));
  });
}

export interface RawResponse {
  readonly status: number;
  /** Header names lowercased; repeated headers joined with ', '. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Split what {@link sendRaw} collected into its responses (several when requests were pipelined), framed
 * by Content-Length, chunked encoding or the end of the connection. Not for answers to HEAD, whose
 * Content-Length announces a body that never comes.
 */
export function parseResponses(raw: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const headEnd = rest.indexOf('\r\n\r\n');
    const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(rest);
    if (headEnd < 0 || statusLine === null) throw new Error(`not an HTTP response: ${JSON.stringify(rest.slice(0, 200))}`);
    const headers: Record<string, string> = {};
    for (const line of rest.slice(0, headEnd).split('\r\n').slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    let body: string;
    rest = rest.slice(headEnd + 4);
    const status = Number(statusLine[1]);
    if (status < 200 || status === 204 || status === 304) body = '';
    else if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) [body, rest] = readChunked(rest);
    else if (headers['content-length'] !== undefined) [body, rest] = [rest.slice(0, Number(headers['content-length'])), rest.slice(Number(headers['content-length']))];
    else [body, rest] = [rest, ''];
    responses.push({ status, headers, body });
  }
  return responses;
}

/** A chunked body and what follows it (trailers are dropped). */
function readChunked(raw: string): [string, string] {
  let body = '';
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) return [body, ''];
    const size = parseInt(raw.slice(at, lineEnd), 16);
    at = lineEnd + 2;
    if (!(size > 0)) break;
    body += raw.slice(at, at + size);
    at += size + 2;
  }
  const end = raw.indexOf('\r\n\r\n', at - 2);
  return [body, end < 0 ? '' : raw.slice(end + 4)];
}
