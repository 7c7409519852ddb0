/**
 * An end user in a real browser (Debian's chromium driven by playwright-core) at the front door: boards,
 * a thread, logging in, replying, and a second tab receiving the reply live. The thread page and the JSON
 * and the live stream come from TS, the other pages and the reply from legacy; the user cannot tell, and the
 * login made on one side holds on the other.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { HAS_CHROMIUM, launchChromium } from '../helpers/browser.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NGINX, startStack, type Stack } from '../helpers/stack.ts';

describe.skipIf(!HAS_CHROMIUM)(`a browser at the ${NGINX.ok ? 'nginx' : 'Node edge'} front door`, () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    stack = await startStack(NGINX.ok ? 'nginx' : 'edge');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('browses from the boards to a thread, logs in, replies, and another tab sees the reply arrive live', async () => {
    const reader = await browser.newPage();
    await reader.goto(`${stack.front.url}/`);
    expect(await reader.locator('h1').textContent()).toBe('Boards');
    await reader.getByRole('link', { name: 'General' }).click();
    await reader.locator('table.list a[href^="/t/"]').first().click();
    const threadUrl = reader.url();
    const threadId = /\/t\/(\d+)/.exec(threadUrl)?.[1];
    expect(threadId).toBeDefined();
    const before = await reader.locator('article.post').count();
    expect(before).toBeGreaterThan(0);

    const writerContext = await browser.newContext();
    const writer = await writerContext.newPage();
    await writer.goto(`${stack.front.url}/login`);
    await writer.getByLabel('Username').fill('alice');
    await writer.getByLabel('Password').fill('alice-password');
    await writer.getByRole('button', { name: 'Log in' }).click();
    expect(await writer.locator('.who').textContent()).toBe('alice');
    const cookies = await writerContext.cookies();
    expect(cookies.find((c) => c.name === 'forum_session')?.httpOnly).toBe(true);
    expect(cookies.find((c) => c.name === 'forum_csrf')).toBeDefined();

    const text = `Reply from the browser ${Date.now()} with *emphasis*`;
    await writer.goto(threadUrl);
    await writer.getByLabel('Message (Markdown)').fill(text);
    await writer.getByRole('button', { name: 'Post reply' }).click();
    await writer.waitForLoadState();

    // The reader's tab gets the post over the live stream, through the front door, without reloading.
    await reader.locator('article.post.new', { hasText: 'Reply from the browser' }).waitFor({ timeout: 15_000 });
    expect(await reader.locator('article.post.new em').first().textContent()).toBe('emphasis');

    // The migrated JSON endpoint (answered by TS) sees the reply that legacy wrote.
    const api = await writer.request.get(`${stack.front.url}/api/v1/threads/${threadId}?per_page=200`);
    expect(api.status()).toBe(200);
    const body = (await api.json()) as { posts: { body: string }[] };
    expect(body.posts.some((post) => post.body === text)).toBe(true);

    await reader.screenshot({ path: join(stack.dir, 'thread.png') });
  });

  it('shows the forum’s own 404 page for a missing thread and the gateway’s for /_internal', async () => {
    const page = await browser.newPage();
    const missing = await page.goto(`${stack.front.url}/t/999999`);
    expect(missing?.status()).toBe(404);
    const internal = await page.goto(`${stack.front.url}/_internal/v1/users`);
    expect(internal?.status()).toBe(404);
  });
});
