/**
 * Odd requests through a front door to the real legacy app and the real TS server (the front-door suite
 * in test/front-door uses echo backends; this one proves the real backends take the same requests): each
 * gets a proper answer and no process of the stack dies.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendRaw } from '../helpers/raw-http.ts';
import { NGINX, startStack, type FrontDoorKind, type Stack } from '../helpers/stack.ts';

const FRONT_DOORS: FrontDoorKind[] = NGINX.ok ? ['edge', 'nginx'] : ['edge'];

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function send(url: string, method: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Log in as a seeded user; returns the Cookie header made of every Set-Cookie the login answered with. */
async function logIn(frontUrl: string): Promise<string> {
  const login = await send(`${frontUrl}/api/v1/login`, 'POST', JSON.stringify({ username: 'alice', password: 'alice-password' }), { 'content-type': 'application/json' });
  expect(login.status).toBe(200);
  const cookies = login.headers['set-cookie'] ?? [];
  return cookies.map((c) => c.split(';')[0]).join('; ');
}

describe.each(FRONT_DOORS)('odd requests through the %s front door to the real backends', (kind) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(kind);
  });
  afterAll(async () => {
    await stack?.stop();
  });
  const allAlive = (): void => {
    for (const process of [stack.legacy, stack.ts]) expect(process.child.exitCode, `${process.name} exited`).toBeNull();
  };

  it('answers a chunked POST carrying a Trailer header, proxied through TS to legacy', async () => {
    const host = new URL(stack.front.url).host;
    const body = '{"body":"hi"}';
    const answer = await sendRaw(
      stack.front.url,
      `POST /api/v1/threads/1/posts HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\nConnection: close\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\nX-Checksum: 1\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer).toContain('{"error":{"code":"unauthorized","message":"log in first"}}');
    allAlive();
  });

  it('answers a GET with a body on a TS route as if it had none', async () => {
    const plain = await send(`${stack.front.url}/api/v1/threads/1`, 'GET');
    // Node's client sends a GET body without framing unless told its length.
    const withBody = await send(`${stack.front.url}/api/v1/threads/1`, 'GET', 'ignored body', { 'content-type': 'text/plain', 'content-length': '12' });
    expect(withBody.status).toBe(200);
    expect(withBody.body.equals(plain.body)).toBe(true);
    allAlive();
  });

  it('answers HEAD without a body on both sides, with the length GET would have', async () => {
    for (const path of ['/api/v1/threads/1', '/api/v1/boards', '/']) {
      const get = await send(stack.front.url + path, 'GET');
      const head = await send(stack.front.url + path, 'HEAD');
      expect(head.status, path).toBe(200);
      expect(head.body.length, path).toBe(0);
      if (head.headers['content-length'] !== undefined) expect(Number(head.headers['content-length']), path).toBe(get.body.length);
    }
  });

  it('delivers legacy’s whole 413 answer to a logged-in 10 MB POST and keeps serving', async () => {
    const cookie = await logIn(stack.front.url);
    const answer = await send(`${stack.front.url}/api/v1/threads/1/posts`, 'POST', Buffer.alloc(10 * 1024 * 1024, 'a'), { 'content-type': 'application/json', cookie });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body.toString())).toMatchObject({ error: { code: 'too_large' } });
    expect((await send(`${stack.front.url}/api/v1/boards`, 'GET')).status).toBe(200);
    allAlive();
  });

  it('survives a client that sends half a body and hangs up', async () => {
    const { hostname, port } = new URL(stack.front.url);
    await new Promise<void>((resolve) => {
      const socket = connect({ host: hostname, port: Number(port) }, () => {
        socket.write(`POST /api/v1/threads/1/posts HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"body":"`, () => {
          socket.destroy();
          resolve();
        });
      });
      socket.on('error', () => resolve());
    });
    expect((await send(`${stack.front.url}/api/v1/threads/1`, 'GET')).status).toBe(200);
    expect((await send(`${stack.front.url}/`, 'GET')).status).toBe(200);
    allAlive();
  });

  it('passes both of legacy’s Set-Cookie headers on login, and the session works on the TS side too', async () => {
    const cookie = await logIn(stack.front.url);
    expect(
      cookie
        .split('; ')
        .map((c) => c.split('=')[0])
        .sort(),
    ).toEqual(['forum_csrf', 'forum_session']);
    const reply = await send(`${stack.front.url}/api/v1/threads/1/posts`, 'POST', JSON.stringify({ body: 'through the proxy' }), { 'content-type': 'application/json', cookie });
    expect(reply.status).toBe(201);
    const thread = JSON.parse((await send(`${stack.front.url}/api/v1/threads/1?per_page=200`, 'GET')).body.toString()) as { posts: { body: string }[] };
    expect(thread.posts.at(-1)?.body).toBe('through the proxy');
  });
});
