/**
 * One client process of the live benchmark: holds thousands of idle SSE or WebSocket connections on raw
 * sockets (the request and the upgrade written by hand, just enough parsing to see a post arrive), and
 * notes the moment each connection sees the first post after it was armed. Driven over IPC by
 * {@link ./clients.ts}; one EventSource or `ws` client per connection would cost the client more than
 * the server being measured.
 *
 * @example
 * // parent: spawn it with an IPC channel, then
 * child.send({ type: 'open', kind: 'sse', host: '127.0.0.1', port: 8081, path: '/live/t/7', count: 5000, sourceAddresses: ['127.0.0.2'], deadlineMs: 60000 });
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ClientCommand, ClientReply, OpenCommand } from './protocol.ts';

/** A server that sends nothing after the headers (or after the subscription) is taken as ready after this. */
const READY_WITHOUT_DATA_MS = 1_000;
const CONNECTS_IN_FLIGHT = 200;
const SSE_POST = 'event: post';
const WS_POST = '"type":"post"';

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes of one machine. */
const now = (): number => performance.timeOrigin + performance.now();

interface Connection {
  socket: Socket;
  ready: boolean;
  headersDone: boolean;
  pending: Buffer | null;
  received: boolean;
  /** The last bytes of the previous SSE chunk, so a marker split between two reads is still seen. */
  tail: string;
}

const connections: Connection[] = [];
let armed = false;
const receipts: number[] = [];
let lost = 0;
let closing = false;
const errors = new Set<string>();

function reply(message: ClientReply): void {
  process.send!(message);
}

function counts() {
  return { ready: connections.filter((c) => c.ready).length, lost, errors: [...errors].slice(0, 5) };
}

/** A client frame: FIN, the opcode, the masking key (clients must mask), the masked payload. */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const header = payload.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | payload.length]) : Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([header, mask, masked]);
}

function markReceived(connection: Connection): void {
  if (!armed || connection.received) return;
  connection.received = true;
  receipts.push(now());
}

function onSseData(connection: Connection, chunk: Buffer): void {
  let text = chunk.toString('latin1');
  if (!connection.headersDone) {
    const end = text.indexOf('\r\n\r\n');
    if (!text.startsWith('HTTP/1.1 200')) {
      errors.add(`SSE answered: ${text.split('\r\n')[0]}`);
      connection.socket.destroy();
      return;
    }
    if (end < 0) return;
    connection.headersDone = true;
    text = text.slice(end + 4);
    setTimeout(() => (connection.ready = true), READY_WITHOUT_DATA_MS).unref();
    if (!text) return;
  }
  connection.ready = true;
  if (!armed || connection.received) return;
  if ((connection.tail + text).includes(SSE_POST)) markReceived(connection);
  else connection.tail = text.slice(-SSE_POST.length);
}

function onWsData(connection: Connection, chunk: Buffer, topic: string): void {
  let data = connection.pending ? Buffer.concat([connection.pending, chunk]) : chunk;
  connection.pending = null;
  if (!connection.headersDone) {
    const text = data.toString('latin1');
    if (!text.startsWith('HTTP/1.1 101')) {
      errors.add(`WebSocket upgrade answered: ${text.split('\r\n')[0]}`);
      connection.socket.destroy();
      return;
    }
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) {
      connection.pending = data;
      return;
    }
    connection.headersDone = true;
    data = data.subarray(end + 4);
    connection.socket.write(clientFrame(0x1, Buffer.from(JSON.stringify({ v: 1, type: 'subscribe', topic }))));
    setTimeout(() => (connection.ready = true), READY_WITHOUT_DATA_MS).unref();
  }
  // Frames from the server are unmasked: 2 bytes, then a 16- or 64-bit length when the 7 bits say so.
  while (data.length >= 2) {
    const opcode = data[0]! & 0x0f;
    let length = data[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (data.length < 4) break;
      length = data.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (data.length < 10) break;
      length = Number(data.readBigUInt64BE(2));
      offset = 10;
    }
    if (data.length < offset + length) break;
    const payload = data.subarray(offset, offset + length);
    data = data.subarray(offset + length);
    if (opcode === 0x9) connection.socket.write(clientFrame(0xa, payload));
    else if (opcode === 0x8) connection.socket.end();
    else if (opcode === 0x1) {
      // The first message after subscribing (its acknowledgement) says the subscription is in place.
      connection.ready = true;
      if (payload.includes(WS_POST)) markReceived(connection);
    }
  }
  if (data.length) connection.pending = Buffer.from(data);
}

function openOne(command: OpenCommand, index: number): Promise<void> {
  return new Promise((settled) => {
    const localAddress = command.sourceAddresses[index % command.sourceAddresses.length]!;
    const socket = connect({ host: command.host, port: command.port, localAddress });
    const connection: Connection = { socket, ready: false, headersDone: false, pending: null, received: false, tail: '' };
    connections.push(connection);
    const host = `${command.host}:${command.port}`;
    socket.setNoDelay(true);
    socket.once('connect', () => {
      if (command.kind === 'sse') socket.write(`GET ${command.path} HTTP/1.1\r\nHost: ${host}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n`);
      else
        socket.write(
          `GET ${command.path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
    });
    socket.on('data', (chunk: Buffer) => (command.kind === 'sse' ? onSseData(connection, chunk) : onWsData(connection, chunk, command.topic)));
    socket.on('error', (err) => errors.add(`${err.message}`));
    socket.once('close', () => {
      if (!closing) lost++;
      connection.ready = false;
      settled();
    });
    // Settled for the opener once ready (or gone); the wait is bounded by the command's deadline.
    const poll = setInterval(() => {
      if (connection.ready || socket.destroyed) {
        clearInterval(poll);
        settled();
      }
    }, 20);
  });
}

async function open(command: OpenCommand): Promise<void> {
  closing = false;
  const deadline = Date.now() + command.deadlineMs;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < command.count && Date.now() < deadline) await openOne(command, next++);
  };
  await Promise.race([Promise.all(Array.from({ length: Math.min(CONNECTS_IN_FLIGHT, command.count) }, worker)), new Promise((r) => setTimeout(r, command.deadlineMs))]);
  reply({ type: 'opened', ...counts() });
}

async function closeAll(): Promise<void> {
  closing = true;
  const open = connections.splice(0);
  await Promise.all(
    open.map(
      (c) =>
        new Promise<void>((done) => {
          if (c.socket.destroyed) return done();
          c.socket.once('close', () => done());
          c.socket.end();
          // A server that never closes its side (a thread asleep in its poll) must not hold the round.
          setTimeout(() => c.socket.destroy(), 5_000).unref();
        }),
    ),
  );
  armed = false;
  receipts.length = 0;
  lost = 0;
  errors.clear();
  reply({ type: 'closed' });
}

process.on('message', (message: ClientCommand) => {
  switch (message.type) {
    case 'open':
      void open(message);
      break;
    case 'arm':
      receipts.length = 0;
      for (const c of connections) c.received = false;
      armed = true;
      reply({ type: 'armed', ...counts() });
      break;
    case 'collect':
      reply({ type: 'receipts', ...counts(), received: receipts.length, times: message.withTimes ? receipts : [] });
      break;
    case 'close':
      void closeAll();
      break;
  }
});
process.on('disconnect', () => process.exit(0));
