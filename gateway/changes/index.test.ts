import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createInternalApp } from '../internal/index.ts';
import type { Siblings } from '../process/siblings.ts';
import { createChangeBus, createChangesService, type Change } from './index.ts';

const logger = pino({ level: 'silent' });
const TOKEN = 'c'.repeat(40);

/** Two processes' siblings joined to each other, delivering at once. */
function siblingPair(): [Siblings, Siblings] {
  const handlers: Map<string, ((payload: unknown) => void)[]>[] = [new Map(), new Map()];
  const make = (self: number): Siblings => ({
    send: (topic, payload) => handlers[1 - self]!.get(topic)?.forEach((handler) => handler(payload)),
    on: (topic, handler) => void handlers[self]!.set(topic, [...(handlers[self]!.get(topic) ?? []), handler]),
  });
  return [make(0), make(1)];
}

describe('createChangeBus', () => {
  it('tells every subscriber here and in the sibling processes, once each', () => {
    const [one, two] = siblingPair();
    const busOne = createChangeBus({ logger, siblings: one });
    const busTwo = createChangeBus({ logger, siblings: two });
    const heard: string[] = [];
    busOne.subscribe((changes) => heard.push(`one:${changes[0]!.kind}`));
    busTwo.subscribe((changes) => heard.push(`two:${changes[0]!.kind}`));
    busOne.publish([{ kind: 'post', thread: 1 }]);
    expect(heard).toEqual(['one:post', 'two:post']);
  });

  it('keeps telling the other subscribers when one throws, and stops telling one that unsubscribed', () => {
    const bus = createChangeBus({ logger });
    const heard: number[] = [];
    bus.subscribe(() => {
      throw new Error('bug');
    });
    const stop = bus.subscribe((changes) => heard.push(changes.length));
    bus.publish([{ kind: 'a' }, { kind: 'b' }]);
    stop();
    bus.publish([{ kind: 'a' }]);
    expect(heard).toEqual([2]);
  });
});

describe('POST /_internal/v1/changes', () => {
  const setup = () => {
    const bus = createChangeBus({ logger });
    const heard: Change[] = [];
    bus.subscribe((changes) => heard.push(...changes));
    const app = createInternalApp({ services: [createChangesService(bus)], token: TOKEN, logger });
    const post = (body: unknown, token = TOKEN) =>
      app.request('/_internal/v1/changes', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { heard, post };
  };

  it('publishes the changes before it answers 202 with their number', async () => {
    const { heard, post } = setup();
    const res = await post({ changes: [{ kind: 'post', thread: 12, board: 'general' }] });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1 });
    expect(heard).toEqual([{ kind: 'post', thread: 12, board: 'general' }]);
  });

  it('refuses a change without a kind, an empty list and a wrong token, publishing nothing', async () => {
    const { heard, post } = setup();
    const noKind = await post({ changes: [{ thread: 1 }] });
    expect(noKind.status).toBe(400);
    expect(JSON.stringify(await noKind.json())).toMatch(/kind/);
    expect((await post({ changes: [] })).status).toBe(400);
    expect((await post({ changes: [{ kind: 'post' }] }, 'x'.repeat(40))).status).toBe(401);
    expect(heard).toEqual([]);
  });
});
