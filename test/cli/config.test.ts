/**
 * The CLI reads the one configuration (gateway/config): relative paths from the working directory, bad
 * values refused with every problem listed, the front door's address and pages for the nginx config.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/processes.ts';

const TABLE = `version: 1
backends:
  legacy: { url: "http://127.0.0.1:9090" }
  ts: { url: "http://127.0.0.1:9091" }
routes:
  - { path: /, mode: legacy }
`;

const strangler = (args: string[], cwd: string, env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(ROOT, 'bin/strangler.js'), ...args], {
    cwd,
    env: { ...process.env, ROUTES: '', FRONT_PORT: '', FRONT_HOST: '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });

describe('strangler and its configuration', () => {
  it('reads ROUTES relative to the working directory, and routes.yaml there by default', () => {
    const { dir, cleanup } = tempDir('strangler-cli-');
    try {
      writeFileSync(join(dir, 'routes.yaml'), TABLE);
      writeFileSync(join(dir, 'other.yaml'), TABLE);
      const byDefault = strangler(['validate'], dir);
      expect(byDefault.stdout).toBe(`${join(dir, 'routes.yaml')}: ok, 1 routes\n`);
      const named = strangler(['validate'], dir, { ROUTES: 'other.yaml' });
      expect(named.stdout).toBe(`${join(dir, 'other.yaml')}: ok, 1 routes\n`);
    } finally {
      cleanup();
    }
  });

  it('refuses bad settings with every problem and its fix, and exits 1', () => {
    const result = strangler(['validate'], ROOT, { FRONT_PORT: 'eighty', LOG_LEVEL: 'chatty' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('FRONT_PORT=eighty is not a port; use a number from 0 to 65535');
    expect(result.stderr).toContain('LOG_LEVEL=chatty is not one of fatal, error, warn, info, debug, trace, silent');
  });

  it('writes the nginx config for FRONT_HOST:FRONT_PORT with the pages STRANGLER_PAGES_DIR names', (ctx) => {
    const { dir, cleanup } = tempDir('strangler-cli-');
    try {
      writeFileSync(join(dir, 'routes.yaml'), TABLE);
      const result = strangler(['nginx'], dir, { FRONT_PORT: '9099', STRANGLER_PAGES_DIR: 'my-pages' });
      if (result.stderr.includes('headers-more module is not installed')) ctx.skip();
      expect(result.status).toBe(0);
      const config = readFileSync(result.stdout.trim(), 'utf8');
      expect(config).toContain('listen 127.0.0.1:9099');
      expect(config).toContain(`${join(dir, 'my-pages')}/`);
    } finally {
      cleanup();
    }
  });
});
