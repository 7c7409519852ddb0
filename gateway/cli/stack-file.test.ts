import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadStackFile, resolveLegacy, StackFileError } from './stack-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'stack-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};
const problemsOf = (file: string): string => {
  try {
    loadStackFile(file);
  } catch (err) {
    if (err instanceof StackFileError) return err.message;
    throw err;
  }
  throw new Error(`${file} was accepted`);
};

describe('the stack file', () => {
  it('resolves cwd, routes and prepare.creates against the stack file and ${VAR} against the final environment', () => {
    const file = write(
      'ok.yaml',
      `
legacy:
  command: [flask, run, --port, "\${LEGACY_PORT}"]
  cwd: app
  env: { FLASK_APP: "app:\${NAME:-create}" }
  ready: { http: /healthz, timeout: 5 }
  prepare: { command: [flask, init-db], creates: data/app.db }
`,
    );
    const stack = loadStackFile(file);
    expect(stack.routes).toBe(join(dir, 'routes.yaml'));
    expect(stack.restart).toEqual({ delayMs: 500, maxDelayMs: 10_000, stableAfterMs: 10_000, giveUpAfter: 5 });
    mkdirSync(join(dir, 'app'), { recursive: true });
    expect(resolveLegacy(stack, { LEGACY_PORT: '9000' })).toEqual({
      command: ['flask', 'run', '--port', '9000'],
      cwd: join(dir, 'app'),
      env: { FLASK_APP: 'app:create' },
      httpPath: '/healthz',
      readyTimeoutMs: 5_000,
      prepare: { command: ['flask', 'init-db'], creates: join(dir, 'app/data/app.db') },
    });
  });

  it('waits for a TCP connect for 30 s when the file says nothing of readiness', () => {
    const legacy = resolveLegacy(loadStackFile(write('tcp.yaml', 'legacy: { command: [python3, server.py] }\n')), {});
    expect(legacy.httpPath).toBeUndefined();
    expect(legacy.readyTimeoutMs).toBe(30_000);
  });

  it('reports every problem at once, each with where it is and the fix', () => {
    const message = problemsOf(
      write(
        'bad.yaml',
        `
legacy:
  command: python3 server.py
  ready: { http: healthz, timeout: -1 }
  port: 8000
restart: { delay: soon }
`,
      ),
    );
    expect(message).toContain('bad.yaml: legacy.command: give the program and its arguments as a list, e.g. [python3, app.py]');
    expect(message).toContain("legacy.ready.http: http is the path of a health check, e.g. '/healthz'");
    expect(message).toContain('legacy.ready.timeout: ready.timeout is a number of seconds above 0, e.g. 30');
    expect(message).toContain("legacy: unknown key 'port'; the keys are env, routes, legacy (command, cwd, env, ready, prepare), restart");
    expect(message).toContain('restart.delay: restart.delay is a number of seconds, e.g. 30');
  });

  it('says how to run the app when legacy is missing, and where to point STRANGLER_STACK when the file is', () => {
    expect(problemsOf(write('empty.yaml', 'env: {}\n'))).toContain('legacy: missing; say how to run the app under legacy: { command: [...] }');
    expect(problemsOf(join(dir, 'nope.yaml'))).toMatch(/nope\.yaml does not exist; create it .* or point STRANGLER_STACK at your stack file/);
  });

  it('refuses a cwd that does not exist, naming the folder it looked for', () => {
    const stack = loadStackFile(write('cwd.yaml', 'legacy: { command: [python3, app.py], cwd: "${APP_DIR:-nowhere}" }\n'));
    expect(() => resolveLegacy(stack, {})).toThrow(`legacy.cwd: ${join(dir, 'nowhere')} does not exist; name the app's folder, relative to ${dir}`);
  });

  it('names a variable the command needs that nobody set', () => {
    const stack = loadStackFile(write('unset.yaml', 'legacy: { command: [gunicorn, -b, "127.0.0.1:${APP_PORT}", app:app] }\n'));
    expect(() => resolveLegacy(stack, {})).toThrow(/\$\{APP_PORT\} is not set; set it in the environment or under env: in .*unset\.yaml/);
  });
});
