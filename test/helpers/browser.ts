/**
 * Debian's chromium for browser tests, driven by playwright-core.
 *
 * @example
 * describe.skipIf(!HAS_CHROMIUM)('…', () => { const browser = await launchChromium(); … });
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);
// The sandbox needs privileges CI's root user lacks; background networking fails on this closed network.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const launchChromium = (): Promise<Browser> => chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
