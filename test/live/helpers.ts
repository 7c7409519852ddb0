/**
 * Clients for the live feed's process tests: a raw SSE reader (it sees the exact bytes, and can stall),
 * a WebSocket client with its frames parsed, and a writer that posts on legacy as a user would.
 */
import { connect, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { cookieFor } from '../parity/harness.ts';

/** Log `username` in on legacy's JSON API; the Cookie header of its session. */
export async function login(legacyUrl: string, username = 'alice'): Promise<string> {
  return (await cookieFor(legacyUrl, `forum_session={session:${username}}`))!;
}

/** Reply on legacy's JSON API (legacy commits, then notifies the TS side); the new post's JSON. */
export async function reply(legacyUrl: string, cookie: string, threadId: number, body: string): Promise<{ id: number; thread_id: number; body: string }> {
  const res = await fetch(`${legacyUrl}/api/v1/threads/${threadId}/posts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ body }),
  });
  if (res.status !== 201) throw new Error(`reply failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { post: { id: number; thread_id: number; body: string } }).post;
}

/** Start a thread on legacy's JSON API; its id and its first post's id. */
export async function startThread(legacyUrl: string, cookie: string, board: string, title: string): Promise<{ thread: number; post: number }> {
  const res = await fetch(`${legacyUrl}/api/v1/boards/${board}/threads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ title, body: `${title}: the first post` }),
  });
  if (res.status !== 201) throw new Error(`new thread failed: ${res.status} ${await res.text()}`);
  const made = (await res.json()) as { thread: { id: number }; post: { id: number } };
  return { thread: made.thread.id, post: made.post.id };
}

export async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface SseEvent {
  readonly event?: string;
  readonly id?: string;
  readonly data?: string;
}

/** An SSE request over a bare socket: the raw bytes as they arrive, and the events parsed from the body. */
export interface RawSse {
  readonly socket: Socket;
  /** Everything received, head included, as latin1. */
  text(): string;
  /** The body (chunked transfer coding removed), as UTF-8. */
  body(): string;
  events(): SseEvent[];
  /** Wait until `count` events (comments aside) have arrived. */
  waitForEvents(count: number, timeoutMs?: number): Promise<SseEvent[]>;
  readonly closed: Promise<void>;
  isClosed(): boolean;
  close(): void;
}

export function openSse(baseUrl: string, path: string, headers: Record<string, string> = {}): RawSse {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect({ host: hostname, port: Number(port) });
  let raw = Buffer.alloc(0);
  let closed = false;
  socket.on('data', (chunk: Buffer) => (raw = Buffer.concat([raw, chunk])));
  socket.on('error', () => {});
  const closedPromise = new Promise<void>((done) => socket.on('close', () => ((closed = true), done())));
  const lines = Object.entries({ host: hostname, accept: 'text/event-stream', ...headers }).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.write(`GET ${path} HTTP/1.1\r\n${lines.join('')}\r\n`);
  const body = (): string => {
    const at = raw.indexOf('\r\n\r\n');
    if (at < 0) return '';
    const head = raw.subarray(0, at).toString('latin1');
    const rest = raw.subarray(at + 4);
    if (!/\r\ntransfer-encoding: chunked/i.test(head)) return rest.toString('utf8');
    const parts: Buffer[] = [];
    let offset = 0;
    for (;;) {
      const end = rest.indexOf('\r\n', offset);
      if (end < 0) break;
      const size = Number.parseInt(rest.subarray(offset, end).toString('latin1'), 16);
      if (!Number.isFinite(size) || size === 0 || end + 2 + size > rest.length) break;
      parts.push(rest.subarray(end + 2, end + 2 + size));
      offset = end + 2 + size + 2;
    }
    return Buffer.concat(parts).toString('utf8');
  };
  const events = (): SseEvent[] =>
    body()
      .split('\n\n')
      .slice(0, -1)
      .map((block) => block.split('\n').filter((line) => !line.startsWith(':')))
      .filter((fields) => fields.length > 0)
      .map((fields) => Object.fromEntries(fields.map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)])) as SseEvent);
  return {
    socket,
    text: () => raw.toString('latin1'),
    body,
    events,
    async waitForEvents(count, timeoutMs = 15_000) {
      await until(() => events().length >= count, `${count} events on ${path} (got: ${JSON.stringify(body()).slice(0, 500)})`, timeoutMs);
      return events();
    },
    closed: closedPromise,
    isClosed: () => closed,
    close: () => socket.destroy(),
  };
}

export interface LiveFrame {
  readonly v: number;
  readonly type: string;
  readonly topic?: string;
  readonly id?: number;
  readonly last?: number;
  readonly code?: string;
  readonly message?: string;
  readonly post?: { id: number; thread_id: number; body: string; author: { id: number; username: string } };
}

export interface LiveClient {
  readonly ws: WebSocket;
  readonly frames: LiveFrame[];
  send(message: unknown): void;
  /** The first frame `match` accepts, once it has arrived. */
  waitFor(match: (frame: LiveFrame) => boolean, what: string, timeoutMs?: number): Promise<LiveFrame>;
  readonly closed: Promise<{ code: number; reason: string }>;
}

export async function openLive(baseUrl: string): Promise<LiveClient> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/v2/live`);
  const frames: LiveFrame[] = [];
  ws.on('message', (data, isBinary) => frames.push(isBinary ? { v: 0, type: 'binary' } : (JSON.parse(data.toString()) as LiveFrame)));
  const closed = new Promise<{ code: number; reason: string }>((done) => ws.on('close', (code, reason) => done({ code, reason: reason.toString() })));
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`closed with ${code} before opening`)));
  });
  return {
    ws,
    frames,
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    async waitFor(match, what, timeoutMs = 15_000) {
      await until(() => frames.some(match), `${what} (frames so far: ${JSON.stringify(frames).slice(0, 600)})`, timeoutMs);
      return frames.find(match)!;
    },
    closed,
  };
}
