/**
 * The gateway in front of an app nobody here wrote: Python's own `http.server`, with a table whose
 * routes are all legacy's. The TS server needs no services and no database for that, and nothing the
 * gateway does touches the app's SQLite file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, PYTHON, startEdge, startTs, stopChild, tempDir, waitForPort, waitUntil, type RunningProcess } from '../helpers/processes.ts';
import { runTs } from './pair.ts';

const ALL_LEGACY_TABLE = `version: 1
backends:
  legacy: { url: "http://127.0.0.1:\${LEGACY_PORT}" }
  ts: { url: "http://127.0.0.1:\${TS_PORT:-0}" }
routes:
  - { path: /, mode: legacy }
`;

// SQLite's header: bytes 18 and 19 are the write and read format versions, 1 for a rollback journal, 2 for WAL.
const journalFormat = (file: string): number[] => [...readFileSync(file).subarray(18, 20)];

describe('the TS server and the edge in front of a plain http.server app, every route legacy', () => {
  const { dir, cleanup } = tempDir('strangler-any-app-');
  const appDb = join(dir, 'app.db');
  const routes = join(dir, 'routes.yaml');
  let app: ChildProcess | undefined;
  let ts: RunningProcess | undefined;
  let edge: RunningProcess | undefined;
  let before: Buffer;
  let env: Record<string, string>;

  beforeAll(async () => {
    const db = new Database(appDb);
    db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('kept as it is')");
    db.close();
    before = readFileSync(appDb);
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>another app</title><p>hello from http.server</p>\n');
    writeFileSync(routes, ALL_LEGACY_TABLE);

    const port = await freePort();
    app = spawn(PYTHON, ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir], { stdio: 'ignore' });
    if (!(await waitForPort('127.0.0.1', port))) throw new Error('python3 -m http.server did not listen');
    // No STRANGLER_SERVICES, and FORUM_DB names the other app's file: nothing may open it.
    env = { ROUTES: routes, LEGACY_PORT: String(port), STRANGLER_SERVICES: '', FORUM_DB: appDb, LOG_LEVEL: 'info' };
    ts = await startTs(env);
    edge = await startEdge({ ...env, TS_PORT: String(ts.port) });
  });

  afterAll(async () => {
    await Promise.all([ts?.stop(), edge?.stop(), app && stopChild(app)]);
    cleanup();
  });

  it('starts with no services and says so in its listening line', () => {
    const line = ts!.output.find((text) => text.includes('"listening"'))!;
    expect(JSON.parse(line)).toMatchObject({ event: 'listening', services: [] });
  });

  it('passes pages and files of the app through the TS server and through the edge unchanged', async () => {
    for (const base of [ts!.url, edge!.url]) {
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe(readFileSync(join(dir, 'index.html'), 'utf8'));
      const file = await fetch(`${base}/app.db`);
      expect(file.status).toBe(200);
      expect(Buffer.from(await file.arrayBuffer()).equals(before)).toBe(true);
      expect((await fetch(`${base}/missing.txt`)).status).toBe(404);
    }
  });

  it('leaves the app’s rollback-journal SQLite file byte for byte as it was, through a reload and a stop', async () => {
    ts!.child.kill('SIGHUP');
    edge!.child.kill('SIGHUP');
    await waitUntil(() => ts!.output.some((line) => line.includes('routes_reloaded')), 'the TS server to reload its table');
    await waitUntil(() => edge!.output.some((line) => line.includes('routes_reloaded')), 'the edge to reload its table');
    expect((await fetch(`${edge!.url}/`)).status).toBe(200);
    await Promise.all([ts!.stop(), edge!.stop()]);

    expect(journalFormat(appDb)).toEqual([1, 1]);
    expect(readFileSync(appDb).equals(before)).toBe(true);
    expect(existsSync(`${appDb}-wal`)).toBe(false);
    expect(existsSync(`${appDb}-shm`)).toBe(false);
  });
});

describe('the TS server without a services module', () => {
  it('refuses a table that names handlers, naming them and STRANGLER_SERVICES', () => {
    const result = runTs({ STRANGLER_SERVICES: '', FORUM_DB: '/nonexistent/forum.db' });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('handlers that are not mounted: \\"boards\\"');
    expect(result.stdout).toContain('mounted services: none');
    expect(result.stdout).toContain('STRANGLER_SERVICES');
  });

  it('refuses bad settings before anything else, listing every one with its fix', () => {
    const result = runTs({ INTERNAL_PORT: 'abc', LOG_LEVEL: 'loud' });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('INTERNAL_PORT=abc is not a port; use a number from 0 to 65535');
    expect(result.stdout).toContain('LOG_LEVEL=loud is not one of fatal, error, warn, info, debug, trace, silent');
  });

  it('refuses a services module that does not exist, saying which variable names it', () => {
    const result = runTs({ STRANGLER_SERVICES: 'services/nowhere.ts' });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('cannot load the services module');
    expect(result.stdout).toContain('services/nowhere.ts (STRANGLER_SERVICES)');
  });

  it('with the forum’s services, refuses another app’s SQLite file and leaves it in rollback-journal mode, byte for byte', () => {
    const { dir, cleanup } = tempDir('strangler-foreign-db-');
    try {
      const file = join(dir, 'other.db');
      const db = new Database(file);
      db.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY)');
      db.close();
      const bytes = readFileSync(file);
      const result = runTs({ FORUM_DB: file });
      expect(result.status).toBe(1);
      expect(result.stdout).toContain('is not the forum');
      expect(journalFormat(file)).toEqual([1, 1]);
      expect(readFileSync(file).equals(bytes)).toBe(true);
      expect(existsSync(`${file}-wal`)).toBe(false);
    } finally {
      cleanup();
    }
  });
});
