/**
 * `X-Strangler-Shadow` is the gateway's own: a client's copy is dropped at every front door, so a raw
 * request carrying it reaches neither a TS handler (through the TS server) nor legacy with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge } from '../helpers/processes.ts';
import { sendRaw } from '../helpers/raw-http.ts';
import { NGINX, startNginx } from '../helpers/stack.ts';
import { startTrialStack, type TrialStack } from './trial-stack.ts';

let stack: TrialStack;
const doors: { name: string; url: string; stop(): Promise<void> }[] = [];
beforeAll(async () => {
  stack = await startTrialStack();
  const edge = await startEdge(stack.env);
  doors.push({ name: 'edge', url: edge.url, stop: () => edge.stop() });
  if (NGINX.ok) {
    const nginx = await startNginx(stack.dir, stack.env);
    doors.push({ name: 'nginx', url: nginx.url, stop: () => nginx.stop() });
  }
}, 60_000);
afterAll(async () => {
  await Promise.all(doors.map((door) => door.stop()));
  await stack?.stop();
});

const forged = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Strangler-Shadow: 1\r\nx-strangler-shadow: 1\r\nConnection: close\r\n\r\n`;

describe.each(['edge', ...(NGINX.ok ? ['nginx'] : [])])('the %s front door', (name) => {
  it('drops a client’s X-Strangler-Shadow before a TS handler sees the request', async () => {
    const door = doors.find((d) => d.name === name)!;
    const answer = await sendRaw(door.url, forged('/seen'));
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toContain('{"shadow":null,"isShadow":false}');
  });

  it('drops a client’s X-Strangler-Shadow before legacy sees the request', async () => {
    const door = doors.find((d) => d.name === name)!;
    expect(await sendRaw(door.url, forged('/legacy-seen'))).toContain('{"shadow":null}');
  });
});
