import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, NEUTRAL_PAGES_DIR, readConfig } from './index.ts';

const TOKEN = 'a'.repeat(64);

describe('readConfig', () => {
  it('gives every default when the environment sets nothing, with paths resolved against the working directory', () => {
    const config = readConfig({}, '/srv/app');
    expect(config).toMatchObject({
      routesFile: '/srv/app/routes.yaml',
      logLevel: 'info',
      front: { host: '127.0.0.1', port: 8080 },
      frontDoor: 'auto',
      internal: { host: '127.0.0.1', port: 8082 },
      workers: 1,
      pagesDir: NEUTRAL_PAGES_DIR,
      servicesModule: null,
      stackFile: '/srv/app/stack.yaml',
      answeredBy: false,
      identity: { cookieName: null, resolvePath: '/_internal/legacy/sessions/resolve' },
    });
    expect(config.token.ok).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('takes each variable from the environment, and treats an empty one as unset', () => {
    const config = readConfig(
      {
        ROUTES: 'conf/routes.yaml',
        LOG_LEVEL: 'warn',
        FRONT_HOST: '0.0.0.0',
        FRONT_PORT: '0',
        STRANGLER_FRONT_DOOR: 'edge',
        INTERNAL_PORT: '9082',
        STRANGLER_INTERNAL_TOKEN: TOKEN,
        TS_WORKERS: 'auto',
        STRANGLER_PAGES_DIR: 'pages',
        STRANGLER_SERVICES: 'services/index.ts',
        STRANGLER_STACK: '/etc/app/stack.yaml',
        INTERNAL_HOST: '',
      },
      '/srv/app',
    );
    expect(config).toMatchObject({
      routesFile: '/srv/app/conf/routes.yaml',
      logLevel: 'warn',
      front: { host: '0.0.0.0', port: 0 },
      frontDoor: 'edge',
      internal: { host: '127.0.0.1', port: 9082 },
      token: { ok: true, token: TOKEN },
      workers: availableParallelism(),
      pagesDir: '/srv/app/pages',
      servicesModule: '/srv/app/services/index.ts',
      stackFile: '/etc/app/stack.yaml',
    });
  });

  it('reports every bad variable at once, each with what to use instead', () => {
    const bad = { FRONT_PORT: '80a', INTERNAL_PORT: '70000', LOG_LEVEL: 'loud', STRANGLER_FRONT_DOOR: 'apache', TS_WORKERS: '0' };
    let error: unknown;
    try {
      readConfig(bad, '/srv/app');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems } = error as ConfigError;
    expect(problems).toEqual([
      'LOG_LEVEL=loud is not one of fatal, error, warn, info, debug, trace, silent; use one of those',
      'FRONT_PORT=80a is not a port; use a number from 0 to 65535 (0 picks a free one)',
      'STRANGLER_FRONT_DOOR=apache is not one of auto, nginx, edge; use one of those',
      'INTERNAL_PORT=70000 is not a port; use a number from 0 to 65535 (0 picks a free one)',
      expect.stringMatching(/^TS_WORKERS=0 is not a number of worker processes; use a whole number from 1 to 9999, or auto/),
    ]);
    expect((error as Error).message).toContain('FRONT_PORT=80a');
  });

  it('takes the session cookie and resolve path of one login, and refuses ones no door could keep private', () => {
    expect(readConfig({ STRANGLER_SESSION_COOKIE: 'sessionid', STRANGLER_IDENTITY_PATH: '/_internal/auth/whoami' }, '/').identity).toEqual({
      cookieName: 'sessionid',
      resolvePath: '/_internal/auth/whoami',
    });
    const bad = (): unknown => readConfig({ STRANGLER_SESSION_COOKIE: 'my session', STRANGLER_IDENTITY_PATH: '/api/whoami' }, '/');
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/STRANGLER_SESSION_COOKIE=my session is not a cookie name[\s\S]*STRANGLER_IDENTITY_PATH=\/api\/whoami must be a path under \/_internal\//);
  });
});
