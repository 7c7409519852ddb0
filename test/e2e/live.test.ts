/**
 * The thread page's live updates in a real browser (Debian's chromium driven by playwright-core) at the
 * front door: the page's EventSource is answered by the TS feed, and a reply made with legacy's form in
 * another browser and a post made through legacy's JSON API both appear without a reload.
 */
import type { Browser } from 'playwright-core';
import { HAS_CHROMIUM, launchChromium } from '../helpers/browser.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../gateway/process/index.ts';
import { NGINX, startStack, startTs, type Stack } from '../helpers/stack.ts';
import { login, reply } from '../live/helpers.ts';

const THREAD = 9;

describe.skipIf(!HAS_CHROMIUM)(`the thread page’s live updates at the ${NGINX.ok ? 'nginx' : 'Node edge'} front door`, () => {
  let stack: Stack;
  let browser: Browser;
  let restarted: RunningProcess | undefined;
  beforeAll(async () => {
    stack = await startStack(NGINX.ok ? 'nginx' : 'edge', { LOG_LEVEL: 'info', STRANGLER_ANSWERED_BY: '1' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await restarted?.stop();
    await stack?.stop();
  });

  it('shows a reply made with legacy’s form and a post made through the JSON API, live, from the TS feed', async () => {
    const reader = await browser.newPage();
    reader.setDefaultTimeout(15_000);
    const feed = reader.waitForResponse((res) => res.url().endsWith(`/live/t/${THREAD}`));
    await reader.goto(`${stack.front.url}/t/${THREAD}`);
    expect((await feed).status()).toBe(200);
    // The feed's access line is written when the stream ends; the answered-by mark says at once who serves it.
    expect((await feed).headers()['x-strangler-answered-by']).toMatch(/^ts; route="\/live"/);

    const writerContext = await browser.newContext();
    const writer = await writerContext.newPage();
    writer.setDefaultTimeout(15_000);
    await writer.goto(`${stack.front.url}/login`);
    await writer.getByLabel('Username').fill('bob');
    await writer.getByLabel('Password').fill('bob-password');
    await writer.getByRole('button', { name: 'Log in' }).click();
    await writer.goto(`${stack.front.url}/t/${THREAD}`);
    await writer.getByLabel('Message (Markdown)').fill('From the form, **live**');
    await writer.getByRole('button', { name: 'Post reply' }).click();
    await writer.waitForLoadState();
    await reader.locator('article.post.new', { hasText: 'From the form' }).waitFor({ timeout: 15_000 });
    expect(await reader.locator('article.post.new strong', { hasText: 'live' }).count()).toBe(1);

    const made = await reply(stack.legacy.url, await login(stack.legacy.url, 'alice'), THREAD, 'From the JSON API, *live*');
    await reader.locator(`article#p${made.id}.post.new`).waitFor({ timeout: 15_000 });
    expect(await reader.locator(`article#p${made.id} em`).textContent()).toBe('live');
    expect(await reader.locator('article.post.new').count()).toBe(2);
  }, 90_000);

  it('picks the feed up again after the TS server restarts, from the last post the page showed', async () => {
    const cookie = await login(stack.legacy.url, 'alice');
    const reader = await browser.newPage();
    reader.setDefaultTimeout(20_000);
    const feed = reader.waitForResponse((res) => res.url().includes(`/live/t/${THREAD}`));
    await reader.goto(`${stack.front.url}/t/${THREAD}`);
    await feed;
    const before = await reply(stack.legacy.url, cookie, THREAD, 'Before the restart');
    await reader.locator(`article#p${before.id}.post.new`).waitFor();

    await stack.ts.stop();
    restarted = await startTs(stack.env);
    // Made before the page is back on the feed, or after: either way it arrives, once.
    const after = await reply(stack.legacy.url, cookie, THREAD, 'After the restart');
    await reader.locator(`article#p${after.id}.post.new`).waitFor({ timeout: 30_000 });
    expect(await reader.locator(`article#p${before.id}`).count()).toBe(1);
  }, 90_000);
});
