/**
 * A `ws` client with its messages queued, so a test can await the next one, and its close as a promise.
 *
 * @example
 * const client = await openClient('ws://127.0.0.1:8080/echo');
 * client.ws.send('hi');
 * expect((await client.next()).text).toBe('hi');
 */
import type { IncomingMessage } from 'node:http';
import { WebSocket, type RawData } from 'ws';

export interface Message {
  readonly data: Buffer;
  readonly isBinary: boolean;
  readonly text: string;
}

export interface Client {
  readonly ws: WebSocket;
  /** The 101 answer's raw header lines. */
  readonly upgradeHeaders: string[];
  next(timeoutMs?: number): Promise<Message>;
  /** Resolves with the close code and reason the client saw. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

const toBuffer = (data: RawData): Buffer => (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data));

export function openClient(url: string, protocols: string[] = [], headers: Record<string, string> = {}): Promise<Client> {
  const ws = new WebSocket(url, protocols, { maxPayload: 64 * 1024 * 1024, headers });
  const queue: Message[] = [];
  const waiting: ((message: Message) => void)[] = [];
  let upgradeHeaders: string[] = [];
  ws.on('upgrade', (res: IncomingMessage) => (upgradeHeaders = res.rawHeaders));
  ws.on('message', (data, isBinary) => {
    const buffer = toBuffer(data);
    const message = { data: buffer, isBinary, text: isBinary ? '' : buffer.toString() };
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.once('open', () =>
      resolve({
        ws,
        get upgradeHeaders() {
          return upgradeHeaders;
        },
        next: (timeoutMs = 10_000) =>
          new Promise<Message>((resolveMessage, rejectMessage) => {
            const queued = queue.shift();
            if (queued) return resolveMessage(queued);
            const timer = setTimeout(() => rejectMessage(new Error(`no message within ${timeoutMs} ms`)), timeoutMs);
            waiting.push((message) => {
              clearTimeout(timer);
              resolveMessage(message);
            });
          }),
        closed,
      }),
    );
    ws.once('error', reject);
  });
}

export interface Refusal {
  readonly status: number;
  readonly headers: string[];
  readonly body: string;
}

/** Try to open a WebSocket that should be refused; resolves with the non-101 answer. */
export function refusedUpgrade(url: string): Promise<Refusal> {
  const ws = new WebSocket(url);
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.rawHeaders, body });
        ws.terminate();
      });
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error(`${url} was upgraded; a refusal was expected`));
    });
    ws.on('error', (err) => reject(err));
  });
}
