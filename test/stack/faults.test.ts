/**
 * The whole stack with one side down: the other side keeps serving, and the side that is down gets a
 * proper 502 page from the front door, not a hang or a reset. Run through every installed front door.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../helpers/processes.ts';
import { NGINX, startStack, type FrontDoorKind, type Stack } from '../helpers/stack.ts';

const FRONT_DOORS: FrontDoorKind[] = NGINX.ok ? ['edge', 'nginx'] : ['edge'];

describe.each(FRONT_DOORS)('through the %s front door', (kind) => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('serves legacy pages and TS endpoints side by side, each request id in the log of the side that served it', async () => {
    stack = await startStack(kind, { LOG_LEVEL: 'info' });
    const home = await fetch(`${stack.front.url}/login`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toMatch(/^text\/html/);
    const boards = await fetch(`${stack.front.url}/api/v1/boards`);
    expect(boards.status).toBe(200);
    const requestId = boards.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);
    const homeId = home.headers.get('x-request-id');
    const logged = (process: { output: string[] }, id: string): boolean => process.output.some((line) => line.includes(id));
    await waitUntil(() => logged(stack!.ts, requestId!), 'the TS log line of the boards request');
    await waitUntil(() => logged(stack!.legacy, homeId!), 'the legacy log line of the login page request');
    expect(logged(stack.legacy, requestId!)).toBe(false);
    expect(logged(stack.ts, homeId!)).toBe(false);
  });

  it('keeps TS endpoints working and answers a 502 page for legacy routes when legacy is down', async () => {
    stack = await startStack(kind);
    await stack.legacy.stop();

    const boards = await fetch(`${stack.front.url}/api/v1/boards`);
    expect(boards.status).toBe(200);
    expect(((await boards.json()) as { boards: unknown[] }).boards.length).toBeGreaterThan(0);
    const thread = await fetch(`${stack.front.url}/api/v1/threads/1`);
    expect(thread.status).toBe(200);

    const home = await fetch(`${stack.front.url}/login`);
    expect(home.status).toBe(502);
    expect(home.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await home.text()).toMatch(/502/);

    // A method that has not moved goes to legacy through the TS server: 502 as well, not a hang.
    const reply = await fetch(`${stack.front.url}/api/v1/threads/1/posts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'hello' }),
    });
    expect(reply.status).toBe(502);
  });

  it('keeps legacy pages working, and legacy answers the TS routes with fallback, when the TS server is down', async () => {
    stack = await startStack(kind);
    await stack.ts.stop();

    const home = await fetch(`${stack.front.url}/login`);
    expect(home.status).toBe(200); // legacy's own page (the login form), which needs nothing from the TS side
    // The board's thread list has not moved, but its authors' names come from the TS users service:
    // legacy says so with a clear 503 rather than a traceback or a page without names.
    const board = await fetch(`${stack.front.url}/api/v1/boards/general/threads`);
    expect(board.status).toBe(503);
    expect(await board.json()).toEqual({ error: { code: 'unavailable', message: 'The user service is not answering right now; try again in a moment.' } });

    // A moved route with `fallback` (routes.yaml's default): the front door hands it to legacy.
    const boards = await fetch(`${stack.front.url}/api/v1/boards`);
    expect(boards.status).toBe(200);
    expect(((await boards.json()) as { boards: { slug: string }[] }).boards.map((board) => board.slug)).toContain('general');
  });
});
