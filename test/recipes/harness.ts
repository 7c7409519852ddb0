/**
 * One contract for every README recipe: run the recipe's command exactly as README.md shows it, behind
 * each front door (the Node edge; nginx when installed), log in through the gateway where the app has a
 * login, and send every case both through the front door and straight to a twin of the app started from
 * the same stack file (same command, same secrets, same empty state), comparing status, headers and body
 * bytes. Only the documented differences are allowed: X-Request-Id, X-Forwarded-*, hop-by-hop headers,
 * Date, and the Server and X-Powered-By headers the gateway removes. Writes are compared too: both instances see the same sequence of requests.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveLegacy, loadStackFile } from '../../gateway/cli/stack-file.ts';
import { freePort, startApp, type RunningProcess } from '../../gateway/process/index.ts';
import { HOP_BY_HOP, IDENTIFYING_RESPONSE_HEADERS } from '../../gateway/proxy/headers.ts';
import { NGINX } from '../helpers/stack.ts';
import { ROOT } from '../helpers/processes.ts';
import { runUp, type Up } from '../helpers/up.ts';

/** The interpreter with Flask, Django and gunicorn (Debian's); pyenv's python3 on PATH has no Django. */
export const RECIPE_PYTHON = process.env.RECIPE_PYTHON ?? '/usr/bin/python3';

/**
 * What both instances of the app get: the interpreter, and one hash seed, since Python orders sets by
 * a per-process random seed (Werkzeug's Allow header lists the methods of a set).
 */
const TWIN_ENV = { PYTHON: RECIPE_PYTHON, PYTHONHASHSEED: '0' };

export interface Exchange {
  readonly status: number;
  /** [lowercased name, value] in the order they arrived. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
}

export interface RecipeRequest {
  readonly method?: string;
  readonly path: string;
  /** Sent as application/x-www-form-urlencoded, plus the login's form fields (e.g. a CSRF token). */
  readonly form?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** Send without the login's cookies. */
  readonly anonymous?: boolean;
}

/** What logging in gave: the Cookie header to send, and fields every form must carry. */
export interface Login {
  readonly cookie: string;
  readonly fields?: Readonly<Record<string, string>>;
}

export interface Recipe {
  /** The stack file, as README.md names it, e.g. examples/flask/stack.yaml. */
  readonly stack: string;
  /** Log in through `send` (the front door); absent when the app has no login. */
  readonly login?: (send: (req: RecipeRequest) => Promise<Exchange>) => Promise<Login>;
  /** What a logged-in page shows, checked through the gateway after the login. */
  readonly loggedIn?: { readonly path: string; readonly shows: RegExp };
  readonly cases: readonly RecipeRequest[];
  /** The app's own randomness in a body, the same for direct and proxied answers (Django's masked CSRF token). */
  readonly normalizeBody?: (body: string) => string;
  /** The app's own clock in a header value (a cookie's `expires`, which can cross a second between the two sends). */
  readonly normalizeHeader?: (name: string, value: string) => string;
}

/**
 * Headers allowed to differ: the documented ones, plus Server and X-Powered-By, which the gateway drops on
 * purpose so no answer tells which side gave it, and X-Strangler-Answered-By, which `strangler up` turns on
 * so a developer can check a flip (docs/observability.md; checked on its own below).
 */
const ALLOWED = (name: string): boolean =>
  name === 'date' ||
  name === 'x-request-id' ||
  name === 'x-strangler-answered-by' ||
  name.startsWith('x-forwarded-') ||
  HOP_BY_HOP.has(name) ||
  IDENTIFYING_RESPONSE_HEADERS.has(name);

/** The recipe's command in README.md: the one line of a sh block that names its stack file. */
export function readmeCommand(stack: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const lines = blocks.flatMap((block) => block.split('\n')).filter((line) => line.includes(`STRANGLER_STACK=${stack} `));
  expect(lines, `README.md shows one command with STRANGLER_STACK=${stack}`).toHaveLength(1);
  const command = lines[0]!.replace(/\s+#.*$/, '').trim();
  expect(command).toMatch(/^([A-Z_]+=\S+ )+npx strangler up$/);
  return command;
}

/** A request over node:http with the given Host, so absolute URLs the app builds are the same on both paths. */
export function send(base: string, host: string, req: RecipeRequest, login?: Login): Promise<Exchange> {
  const url = new URL(base);
  const form = req.form && new URLSearchParams({ ...req.form, ...(login?.fields ?? {}) }).toString();
  const headers: Record<string, string> = { host, ...(req.headers ?? {}) };
  if (login && !req.anonymous) headers.cookie = login.cookie;
  if (form !== undefined) Object.assign(headers, { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(form)) });
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: url.hostname, port: Number(url.port), method: req.method ?? (form ? 'POST' : 'GET'), path: req.path, headers, setHost: false, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const pairs: [string, string][] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
          resolve({ status: res.statusCode!, headers: pairs, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(form);
  });
}

/** The cookies an answer sets, as a Cookie header. */
export const cookiesOf = (answer: Exchange): string =>
  answer.headers
    .filter(([name]) => name === 'set-cookie')
    .map(([, value]) => value.trim().split(';')[0]!)
    .join('; ');

const comparable = (answer: Exchange, { normalizeBody = (body) => body, normalizeHeader = (_, value) => value }: Recipe) => ({
  status: answer.status,
  // nginx writes the headers it knows (Content-Type, Content-Length, Location...) first, so only the order
  // among headers of one name (several Set-Cookie) is kept; Array.prototype.sort is stable.
  headers: answer.headers
    .filter(([name]) => !ALLOWED(name))
    .map(([name, value]) => [name, normalizeHeader(name, value)])
    .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0)),
  body: normalizeBody(answer.body.toString('latin1')),
});

/** Start a twin of the recipe's app, straight from its stack file, on a port of its own. */
async function startTwin(stackFile: string, env: Record<string, string>): Promise<RunningProcess> {
  const port = await freePort();
  const fullEnv = { ...process.env, PYTHONUNBUFFERED: '1', ...env, LEGACY_PORT: String(port) } as Record<string, string>;
  const stack = loadStackFile(join(ROOT, stackFile));
  const legacy = resolveLegacy(stack, { ...stack.env, ...fullEnv });
  return startApp({
    name: 'twin',
    command: legacy.command,
    cwd: legacy.cwd,
    env: { ...stack.env, ...fullEnv, ...legacy.env },
    host: '127.0.0.1',
    port,
    ...(legacy.httpPath ? { httpPath: legacy.httpPath } : {}),
    readyTimeoutMs: legacy.readyTimeoutMs,
  });
}

/** Every door's suite for one recipe. */
export function describeRecipe(title: string, recipe: Recipe): void {
  const command = readmeCommand(recipe.stack);
  for (const door of ['edge', 'nginx'] as const) {
    describe.skipIf(door === 'nginx' && !NGINX.ok)(`${title} behind ${door === 'edge' ? 'the Node edge' : 'nginx'}: ${command}`, () => {
      let up: Up;
      let twin: RunningProcess | undefined;
      let front: string;
      let host: string;
      let login: Login | undefined;

      beforeAll(async () => {
        const env = { ...TWIN_ENV, STRANGLER_FRONT_DOOR: door, FRONT_PORT: String(await freePort()), TS_PORT: '0', LEGACY_PORT: '0', INTERNAL_PORT: '0' };
        up = runUp(env, command);
        [, front] = (await up.waitFor(/front door\s+(http:\/\/\S+)/)) as [string, string];
        host = new URL(front).host;
        twin = await startTwin(recipe.stack, TWIN_ENV);
        if (recipe.login) login = await recipe.login((req) => send(front, host, req));
      }, 120_000);
      afterAll(async () => {
        await Promise.all([up?.stop(), twin?.stop()]);
      });

      if (recipe.loggedIn) {
        const { path, shows } = recipe.loggedIn;
        it(`logs in through the gateway with the app's own session cookie, and ${path} shows it`, async () => {
          expect(login?.cookie).toBeTruthy();
          const page = await send(front, host, { path }, login);
          expect(page.status).toBe(200);
          expect(page.body.toString()).toMatch(shows);
        });
      }

      it('answers every case through the front door with the status, headers and body bytes of the app itself', async () => {
        for (const req of recipe.cases) {
          const proxied = await send(front, host, req, login);
          const direct = await send(twin!.url, host, req, login);
          expect(comparable(proxied, recipe), `${req.method ?? (req.form ? 'POST' : 'GET')} ${req.path}`).toEqual(comparable(direct, recipe));
          expect(proxied.headers.find(([name]) => name === 'x-strangler-answered-by')?.[1], 'strangler up names the side that answered').toMatch(/^(legacy|ts); route="\//);
        }
      });
    });
  }
}
