/**
 * The parity harness: one seeded database, the real legacy app and the real TS server on it, and a way
 * to send the same request to both and keep what the contract says must match.
 *
 * Each endpoint's suite is data (`*.cases.ts`): requests, the status the contract demands, and known gaps
 * with their reason. `parity.test.ts` runs every case against both sides.
 */
import { request as httpRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { internalEnv, seedDatabase, startLegacy, startTs, tempDir, type RunningProcess } from '../helpers/processes.ts';

export interface ParityCase {
  readonly name: string;
  readonly method?: string;
  /** Request-target, sent byte for byte (no client-side normalization). */
  readonly path: string;
  /** What the contract demands, checked on both sides so that matching bugs cannot pass. */
  readonly status: number;
  /** A known difference, with its reason: the case is expected to differ until it is fixed. */
  readonly gap?: string;
  /** A raw Cookie header to send; `{session:alice}` in it is replaced by a live session of that user, made by logging in on legacy. */
  readonly cookie?: string;
}

/** What must be identical between legacy and TS. */
export interface Observation {
  readonly status: number;
  readonly contentType: string | null;
  readonly cacheControl: string | null;
  readonly allow: string | null;
  readonly contentLength: string | null;
  readonly body: string;
  /** The compared headers' names as spelled on the wire (`Cache-Control` vs `cache-control` is a tell). */
  readonly headerNames?: readonly string[];
}

const COMPARED_HEADERS = new Set(['content-type', 'cache-control', 'allow', 'content-length']);

// The routes the suite holds to parity go to TS here whatever routes.yaml says today, so a rollback in
// the real table cannot turn the suite into legacy-against-legacy.
const PARITY_ROUTES = `version: 1
backends:
  legacy: { url: "http://127.0.0.1:\${LEGACY_PORT}" }
  ts: { url: "http://127.0.0.1:\${TS_PORT}" }
routes:
  - { path: /, mode: legacy }
  - { path: /api/v1/boards, exact: true, mode: next, handler: boards, methods: [GET] }
  - { path: /api/v1/threads, mode: next, handler: threads, methods: [GET] }
  - { path: /api/v1/me, exact: true, mode: next, handler: users, methods: [GET] }
  - { path: /t, mode: next, handler: threads, methods: [GET] }
`;

export interface ParityStack {
  readonly legacy: RunningProcess;
  readonly ts: RunningProcess;
  stop(): Promise<void>;
}

/** Seed a tiny database and start legacy and the TS server on it. */
export async function startParityStack(): Promise<ParityStack> {
  const { dir, cleanup } = tempDir('strangler-parity-');
  const db = seedDatabase(dir);
  const routes = join(dir, 'routes.yaml');
  writeFileSync(routes, PARITY_ROUTES);
  const env = { FORUM_DB: db, LOG_LEVEL: 'info', ...(await internalEnv()) };
  const legacy = await startLegacy(env);
  const ts = await startTs({ ...env, ROUTES: routes, LEGACY_PORT: String(legacy.port) }).catch(async (err: unknown) => {
    await legacy.stop();
    throw err;
  });
  return {
    legacy,
    ts,
    async stop() {
      await Promise.all([legacy.stop(), ts.stop()]);
      cleanup();
    },
  };
}

/**
 * Send one case to a server over raw node:http (fetch would resolve dot segments and re-encode) and
 * keep what parity compares.
 *
 * @example
 * const seen = await observe('http://127.0.0.1:8090', { name: 'boards', path: '/api/v1/boards', status: 200 });
 */
export function observe(baseUrl: string, testCase: ParityCase, cookie?: string): Promise<Observation> {
  const url = new URL(baseUrl);
  return new Promise((done, fail) => {
    const headers = cookie === undefined ? {} : { cookie };
    const req = httpRequest({ host: url.hostname, port: url.port, method: testCase.method ?? 'GET', path: testCase.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', fail);
      res.on('end', () => {
        const header = (name: string): string | null => {
          const value = res.headers[name];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        };
        done({
          status: res.statusCode ?? 0,
          contentType: header('content-type'),
          cacheControl: header('cache-control'),
          allow: header('allow'),
          contentLength: header('content-length'),
          body: Buffer.concat(chunks).toString('utf8'),
          headerNames: res.rawHeaders.filter((name, i) => i % 2 === 0 && COMPARED_HEADERS.has(name.toLowerCase())).sort(),
        });
      });
    });
    req.on('error', fail);
    req.end();
  });
}

/**
 * The Cookie header a case sends, with each `{session:<username>}` replaced by the session cookie of a
 * fresh login on legacy (password `<username>-password`, as the seed makes them).
 *
 * @example
 * await cookieFor(stack.legacy.url, 'forum_session={session:alice}'); // 'forum_session=kq3…'
 */
export async function cookieFor(legacyUrl: string, template: string | undefined): Promise<string | undefined> {
  if (template === undefined) return undefined;
  let cookie = template;
  for (const [placeholder, username] of template.matchAll(/\{session:([A-Za-z0-9_-]+)\}/g)) {
    const res = await fetch(`${legacyUrl}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: `${username}-password` }),
    });
    const session = res.headers.getSetCookie().map((line) => /^forum_session=([^;]+)/.exec(line)?.[1]).find(Boolean);
    if (res.status !== 200 || !session) throw new Error(`logging ${username} in on legacy failed (${res.status}): ${await res.text()}`);
    cookie = cookie.replace(placeholder!, session);
  }
  return cookie;
}
