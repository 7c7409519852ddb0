/**
 * The transparency harness: one misbehaving legacy stand-in (a raw node:net server), and the same raw
 * request sent to it directly and through every door (nginx when installed, the Node edge, the TS
 * server's proxy), so a suite can compare what each door delivered with what the app said.
 *
 * @example
 * const doors = await startDoors((req, socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'));
 * const direct = await doors.send('direct', 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
 * for (const door of doors.names) expect(differences(direct, await doors.send(door, sameBytes))).toEqual([]);
 * await doors.stop();
 */
import { writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { parseResponses, sendRaw, type RawResponse } from '../helpers/raw-http.ts';
import { internalEnv, startEdge, startTs, tempDir } from '../helpers/processes.ts';
import { startRawServer } from '../helpers/raw-server.ts';
import { NGINX, startNginx } from '../helpers/stack.ts';

export type DoorName = 'nginx' | 'edge' | 'ts';
export type Target = DoorName | 'direct';

/** Every door this machine can run: nginx only when it and its headers-more module are installed. */
export const DOOR_NAMES: readonly DoorName[] = NGINX.ok ? ['nginx', 'edge', 'ts'] : ['edge', 'ts'];

/** A request as the stand-in read it: the head as sent, the body only when framed by Content-Length. */
export interface StandInRequest {
  readonly method: string;
  readonly target: string;
  readonly version: string;
  /** Header names lowercased, repeated ones joined with ', '. */
  readonly headers: Readonly<Record<string, string>>;
  /** The header block byte for byte (latin1), request line included. */
  readonly head: string;
  readonly body: Buffer;
}

/** Writes the stand-in's answer on the raw socket (resolving once written, when it writes later); ends the socket when the answer says so. */
export type StandInAnswer = (req: StandInRequest, socket: Socket) => void | Promise<void>;

export interface StandIn {
  readonly port: number;
  /** Every request it read, in order. */
  readonly requests: StandInRequest[];
  close(): Promise<void>;
}

/**
 * A legacy app that does what `answer` says on the raw socket. It reads bodies framed by Content-Length
 * only: like many WSGI servers it cannot read a chunked body, and answers one with 411 and a close.
 */
export async function startStandIn(answer: StandInAnswer): Promise<StandIn> {
  const requests: StandInRequest[] = [];
  const server = await startRawServer((socket) => {
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.subarray(0, end + 4).toString('latin1');
        const lines = head.slice(0, -4).split('\r\n');
        const [method = '', target = '', version = ''] = lines[0]!.split(' ');
        const headers: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          const name = line.slice(0, colon).toLowerCase();
          const value = line.slice(colon + 1).trim();
          headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
        }
        if (headers['transfer-encoding'] !== undefined) {
          requests.push({ method, target, version, headers, head, body: Buffer.alloc(0) });
          socket.end('HTTP/1.1 411 Length Required\r\nContent-Type: text/plain\r\nContent-Length: 24\r\nConnection: close\r\n\r\nchunked body not allowed');
          socket.removeAllListeners('data');
          return;
        }
        const length = Number(headers['content-length'] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const body = Buffer.from(buffered.subarray(end + 4, end + 4 + length));
        buffered = buffered.subarray(end + 4 + length);
        const request = { method, target, version, headers, head, body };
        requests.push(request);
        const answered = answer(request, socket);
        // A client that asked to close (or an HTTP/1.0 one that did not ask to keep it) gets the close after the answer.
        const keepAlive = version === 'HTTP/1.0' ? /\bkeep-alive\b/i.test(headers.connection ?? '') : !/\bclose\b/i.test(headers.connection ?? '');
        if (!keepAlive) void Promise.resolve(answered).then(() => socket.writableEnded || socket.end());
        if (socket.writableEnded) return;
      }
    });
  });
  return { ...server, requests };
}

export interface Doors {
  readonly names: readonly DoorName[];
  readonly standIn: StandIn;
  readonly urls: Readonly<Record<Target, string>>;
  /** Raw bytes to `target` on a fresh connection; everything until the connection closes (latin1). */
  sendRaw(target: Target, bytes: string | Buffer, timeoutMs?: number): Promise<string>;
  /** Like sendRaw, parsed: interim (1xx) answers first, the final one last. */
  send(target: Target, bytes: string | Buffer, timeoutMs?: number): Promise<RawResponse[]>;
  stop(): Promise<void>;
}

export interface DoorsOptions {
  /** YAML `settings:` lines for the route table, e.g. `  max_body_mb: 1`. */
  readonly settings?: string;
}

/**
 * The stand-in as the legacy backend of a table that is all legacy, behind nginx (when installed), the
 * Node edge process and the TS server process. Everything started is stopped by `stop()`, also when a
 * later start fails.
 */
export async function startDoors(answer: StandInAnswer, { settings = '' }: DoorsOptions = {}): Promise<Doors> {
  const standIn = await startStandIn(answer);
  const { dir, cleanup } = tempDir('strangler-transparency-');
  const stops: (() => Promise<void>)[] = [standIn.close];
  const stop = async (): Promise<void> => {
    await Promise.all(stops.map((s) => s().catch(() => undefined)));
    cleanup();
  };
  try {
    const routes = join(dir, 'routes.yaml');
    writeFileSync(
      routes,
      `version: 1\n${settings ? `settings:\n${settings}\n` : ''}backends:\n  legacy: { url: "http://127.0.0.1:\${LEGACY_PORT}" }\n  ts: { url: "http://127.0.0.1:\${TS_PORT}" }\nroutes:\n  - { path: /, mode: legacy }\n`,
    );
    const env: Record<string, string> = { ROUTES: routes, LEGACY_PORT: String(standIn.port), LOG_LEVEL: 'warn', ...(await internalEnv()) };
    // The table is all legacy: the TS server runs with no services (and no app database), as for any app.
    const ts = await startTs({ ...env, STRANGLER_SERVICES: '' });
    stops.push(ts.stop);
    env.TS_PORT = String(ts.port);
    const edge = await startEdge(env);
    stops.push(edge.stop);
    const urls: Record<Target, string> = { direct: `http://127.0.0.1:${standIn.port}`, ts: ts.url, edge: edge.url, nginx: '' };
    if (NGINX.ok) {
      const nginx = await startNginx(dir, env);
      stops.push(nginx.stop);
      urls.nginx = nginx.url;
    }
    const raw = (target: Target, bytes: string | Buffer, timeoutMs = 10_000): Promise<string> => sendRaw(urls[target], bytes, { timeoutMs });
    return {
      names: DOOR_NAMES,
      standIn,
      urls,
      sendRaw: raw,
      send: async (target, bytes, timeoutMs) => parseResponses(await raw(target, bytes, timeoutMs)),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Headers a door may add, drop or change: the request id, forwarded-for family, hop-by-hop, Date. */
const MAY_DIFFER = new Set(['x-request-id', 'date', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'proxy-authenticate']);
const mayDiffer = (name: string): boolean => MAY_DIFFER.has(name) || name.startsWith('x-forwarded-');

/** Headers of an answer without the ones a door may change, as sorted `name: value` lines. */
export const comparableHeaders = (response: RawResponse): string[] =>
  Object.entries(response.headers)
    .filter(([name]) => !mayDiffer(name))
    .map(([name, value]) => `${name}: ${value}`)
    .sort();

/**
 * What differs between the answer the app gave directly and the one a door delivered: status, the
 * comparable headers, the body bytes (lengths and the first differing offset, not megabytes of text).
 * Empty when the door was transparent.
 */
export function differences(direct: RawResponse | undefined, viaDoor: RawResponse | undefined): string[] {
  if (direct === undefined || viaDoor === undefined) return [`answer missing: direct ${direct ? direct.status : 'none'}, door ${viaDoor ? viaDoor.status : 'none'}`];
  const found: string[] = [];
  if (direct.status !== viaDoor.status) found.push(`status ${direct.status} directly, ${viaDoor.status} through the door`);
  const [a, b] = [comparableHeaders(direct), comparableHeaders(viaDoor)];
  const short = (line: string): string => (line.length > 120 ? `${line.slice(0, 100)}… (${line.length} bytes)` : line);
  for (const line of a) if (!b.includes(line)) found.push(`header lost or changed: ${short(line)}`);
  for (const line of b) if (!a.includes(line)) found.push(`header added or changed: ${short(line)}`);
  if (direct.body !== viaDoor.body) {
    let at = 0;
    while (at < direct.body.length && direct.body[at] === viaDoor.body[at]) at++;
    found.push(`body of ${direct.body.length} bytes directly, ${viaDoor.body.length} through the door, first difference at byte ${at}`);
  }
  return found;
}

/** The final answer of a parsed exchange: the first after any 1xx (what follows it is stray bytes). */
export const finalAnswer = (responses: readonly RawResponse[]): RawResponse | undefined => responses.find((r) => r.status >= 200);
