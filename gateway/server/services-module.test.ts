import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadComposeServices, ServicesModuleError } from './services-module.ts';

const dir = mkdtempSync(join(tmpdir(), 'strangler-services-module-'));
const moduleFile = (name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};
const CONTEXT = { legacyUrl: 'http://127.0.0.1:1', internalToken: 'x'.repeat(32) };
const logger = pino({ level: 'silent' });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadComposeServices', () => {
  it('composes no services, holding nothing, when no module is named', async () => {
    const set = (await loadComposeServices(null))({}, logger, CONTEXT);
    expect(set.services).toEqual([]);
    expect(set.notFound).toBeUndefined();
    expect(() => set.close()).not.toThrow();
  });

  it('takes the composeServices export, or the default export, and hands it the environment and context', async () => {
    const named = moduleFile('named.mjs', 'export const composeServices = (env, logger, context) => ({ services: [], close() {}, seen: [env.APP, context.legacyUrl] });');
    const byDefault = moduleFile('default.mjs', 'export default () => ({ services: [], close() {}, seen: "default" });');
    expect(((await loadComposeServices(named))({ APP: 'forum' }, logger, CONTEXT) as unknown as { seen: unknown }).seen).toEqual(['forum', 'http://127.0.0.1:1']);
    expect(((await loadComposeServices(byDefault))({}, logger, CONTEXT) as unknown as { seen: unknown }).seen).toBe('default');
  });

  it('refuses a module that exports no composer, saying what to export', async () => {
    const file = moduleFile('none.mjs', 'export const services = [];');
    await expect(loadComposeServices(file)).rejects.toThrow(ServicesModuleError);
    await expect(loadComposeServices(file)).rejects.toThrow(`the services module ${file} (STRANGLER_SERVICES) exports no composeServices function; export one`);
  });

  it('refuses a module that does not exist, naming the file and the variable', async () => {
    const file = join(dir, 'missing.ts');
    await expect(loadComposeServices(file)).rejects.toThrow(`cannot load the services module ${file} (STRANGLER_SERVICES)`);
  });
});
