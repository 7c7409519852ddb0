/**
 * A small real HTTP backend for front-door and proxy tests. It answers every request with a JSON
 * description of what reached it (method, target, headers, body size and sha256), and the query
 * parameter `echo` selects odd behaviours the front doors must pass through:
 *
 * - `echo=cookies`  two Set-Cookie headers
 * - `echo=stream`   one chunk now, the second after {@link EchoBackend.release} (or 10 s)
 * - `echo=trailers` a chunked body with a `Trailer` header and an `X-Checksum` trailer
 * - `echo=slow&ms=N` answers after N ms
 * - `echo=abort`    headers and half a body, then the connection is destroyed
 * - `echo=status&status=N` answers with status N
 *
 * Every response carries `X-Backend: <name>`, `Server: echo` and `X-Powered-By: echo`.
 *
 * @example
 * const legacy = await startEchoBackend('legacy');
 * await fetch(`${legacy.url}/x?echo=cookies`);
 * legacy.requests.at(-1)?.bodySha256;
 * await legacy.close();
 */
import { createHash } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EchoedRequest {
  readonly backend: string;
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly bodyBytes: number;
  readonly bodySha256: string;
  readonly trailers: Record<string, string | undefined>;
}

export interface EchoBackend {
  readonly name: string;
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Every request that arrived completely, oldest first. */
  readonly requests: EchoedRequest[];
  /** Let waiting `echo=stream` responses finish. */
  release(): void;
  close(): Promise<void>;
}

const STREAM_HOLD_MS = 10_000;

export async function startEchoBackend(name: string, host = '127.0.0.1'): Promise<EchoBackend> {
  const requests: EchoedRequest[] = [];
  const waiting = new Set<() => void>();

  const handle = (req: IncomingMessage, res: ServerResponse, echoed: EchoedRequest): void => {
    const query = new URL(req.url ?? '/', 'http://echo.invalid').searchParams;
    res.setHeader('X-Backend', name);
    res.setHeader('Server', 'echo');
    res.setHeader('X-Powered-By', 'echo');
    const json = JSON.stringify(echoed);
    switch (query.get('echo')) {
      case 'cookies':
        res.setHeader('Set-Cookie', ['a=1; Path=/; HttpOnly', 'b=2; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT']);
        res.end(json);
        return;
      case 'stream': {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.write('first chunk\n');
        const finish = (): void => {
          waiting.delete(finish);
          clearTimeout(timer);
          if (!res.destroyed) res.end('last chunk\n');
        };
        const timer = setTimeout(finish, STREAM_HOLD_MS);
        waiting.add(finish);
        res.on('close', () => waiting.delete(finish));
        return;
      }
      case 'trailers':
        res.writeHead(200, { 'Content-Type': 'text/plain', Trailer: 'X-Checksum' });
        res.write('body with a trailer\n');
        res.addTrailers({ 'X-Checksum': 'abc123' });
        res.end();
        return;
      case 'slow':
        setTimeout(() => res.end(json), Number(query.get('ms') ?? 1000));
        return;
      case 'abort':
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '1000' });
        res.write('x'.repeat(500), () => res.destroy());
        return;
      case 'status':
        res.statusCode = Number(query.get('status') ?? 200);
        res.end(req.method === 'HEAD' ? undefined : json);
        return;
      default:
        res.setHeader('Content-Type', 'application/json');
        res.end(json);
    }
  };

  const server = createServer((req, res) => {
    const hash = createHash('sha256');
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => {
      bodyBytes += chunk.length;
      hash.update(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const echoed: EchoedRequest = {
        backend: name,
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        bodyBytes,
        bodySha256: hash.digest('hex'),
        trailers: req.trailers,
      };
      requests.push(echoed);
      handle(req, res, echoed);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `http://${host}:${port}`,
    host,
    port,
    requests,
    release: () => [...waiting].forEach((finish) => finish()),
    close: () =>
      new Promise<void>((resolve) => {
        [...waiting].forEach((finish) => finish());
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The first chunk of the body a server sends for `path`, as soon as it arrives: how a test sees that a
 * streamed answer is passed on before the backend ends it (the echo's `?echo=stream` holds the rest).
 *
 * @example
 * expect(await firstChunk(front.port, '/?echo=stream')).toBe('first chunk\n');
 */
export function firstChunk(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.once('data', (chunk: Buffer) => {
        resolve(chunk.toString());
        res.resume();
      });
    });
    req.on('error', reject);
    req.end();
  });
}
