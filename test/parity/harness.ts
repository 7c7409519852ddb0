/**
 * The forum's parity stack on the gateway's harness (gateway/parity): one seeded database, the real
 * legacy app and the real TS server on it (saying who answered), the table they run with, and sessions
 * made by logging in on legacy.
 *
 * Each endpoint's suite is data (`*.cases.ts`): requests, the status the contract demands, and known gaps
 * with their reason. `parity.test.ts` runs every case through the harness.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createParityHarness, type Normalizer, type ParityCase as GatewayCase, type ParityHarness } from '../../gateway/parity/index.ts';
import { internalEnv, seedDatabase, startLegacy, startTs, tempDir, type RunningProcess } from '../helpers/processes.ts';
import { loginSession } from '../../bench/lib/login.ts';

/** A gateway case, plus a Cookie header in which `{session:alice}` is replaced by a live session of that user. */
export interface ParityCase extends GatewayCase {
  readonly cookie?: string;
}

/** What the forum holds to parity besides status and body: values and the spelling of their names. */
export const COMPARED_HEADERS = ['content-type', 'cache-control', 'allow', 'content-length'] as const;

// The routes the suite holds to parity go to TS here whatever routes.yaml says today, so a rollback in
// the real table cannot turn the suite into legacy-against-legacy (and the harness checks each case's
// route against this table).
const PARITY_ROUTES = `version: 1
backends:
  legacy: { url: "http://127.0.0.1:\${LEGACY_PORT}" }
  ts: { url: "http://127.0.0.1:\${TS_PORT}" }
routes:
  - { path: /, mode: legacy }
  - { path: /, exact: true, mode: next, handler: boards, methods: [GET] }
  - { path: /b, mode: next, handler: boards, methods: [GET] }
  - { path: /api/v1/boards, exact: true, mode: next, handler: boards, methods: [GET] }
  - { path: "/api/v1/boards/*/threads", exact: true, mode: next, handler: boards, methods: [GET] }
  - { path: /api/v1/threads, mode: next, handler: threads, methods: [GET] }
  - { path: /api/v1/me, exact: true, mode: next, handler: users, methods: [GET] }
  - { path: /t, mode: next, handler: threads, methods: [GET] }
  - { path: /live, mode: next, handler: live, methods: [GET] }
`;

/** How often the TS server of the parity stack sends the views it counted to legacy. */
export const VIEWS_FLUSH_MS = 100;

export interface ParityStack {
  readonly legacy: RunningProcess;
  readonly ts: RunningProcess;
  /** A harness on this stack; `legacy-first` for cases that count something on each GET. */
  harness(options?: { order?: 'together' | 'legacy-first'; normalize?: Normalizer }): ParityHarness;
  stop(): Promise<void>;
}

/** Seed a tiny database and start legacy and the TS server on it. */
export async function startParityStack(): Promise<ParityStack> {
  const { dir, cleanup } = tempDir('strangler-parity-');
  const db = seedDatabase(dir);
  const routes = join(dir, 'routes.yaml');
  writeFileSync(routes, PARITY_ROUTES);
  // Legacy sends every page no-store and has no cache: the TS side's guest cache (ETag, no-cache) is off here.
  const env = { FORUM_DB: db, LOG_LEVEL: 'info', FORUM_CACHE: '0', ...(await internalEnv()) };
  const legacy = await startLegacy(env);
  const tsEnv = { ROUTES: routes, LEGACY_PORT: String(legacy.port), STRANGLER_ANSWERED_BY: '1' };
  // Views are written behind: a short interval keeps the suite's waits for them short.
  const ts = await startTs({ ...env, ...tsEnv, FORUM_VIEWS_FLUSH_MS: String(VIEWS_FLUSH_MS) }).catch(async (err: unknown) => {
    await legacy.stop();
    throw err;
  });
  return {
    legacy,
    ts,
    harness: (options = {}) =>
      createParityHarness({ routes, env: { ...tsEnv, TS_PORT: String(ts.port) }, legacyUrl: legacy.url, tsUrl: ts.url, comparedHeaders: COMPARED_HEADERS, ...options }),
    async stop() {
      await Promise.all([legacy.stop(), ts.stop()]);
      cleanup();
    },
  };
}

/** The case as sent: its `cookie` template filled with live sessions and moved into its headers. */
export async function withSessions(legacyUrl: string, testCase: ParityCase): Promise<GatewayCase> {
  const cookie = await cookieFor(legacyUrl, testCase.cookie);
  return cookie === undefined ? testCase : { ...testCase, headers: { ...testCase.headers, cookie } };
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
    cookie = cookie.replace(placeholder!, await loginSession(legacyUrl, username!));
  }
  return cookie;
}
