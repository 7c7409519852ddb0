/**
 * A server whose parent died, and with it the reader of its standard output, still stops: on SIGTERM
 * within its drain deadline (its log lines now hit a closed pipe), and by itself when STRANGLER_PARENT_PID
 * names the parent that is gone. Each server is started by a small launcher process that exits as soon
 * as the server listens, the way a crashed supervisor or test runner leaves it.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, waitUntilGone } from '../helpers/children.ts';
import { PYTHON, ROOT, seedDatabase, TEST_INTERNAL_TOKEN, tempDir } from '../helpers/processes.ts';

// The servers' own drain deadline (gateway/server/main.ts DRAIN_TIMEOUT_MS), plus room for a busy machine.
const STOP_DEADLINE_MS = 10_000 + 10_000;

// Spawns the server with its stdout and stderr on pipes, prints the server's pid once it logs its
// listening line, and exits: the pipes' read ends close with it.
const LAUNCHER = `
const { spawn } = require('node:child_process');
const [command, args, env, watchLauncher] = JSON.parse(process.argv[1]);
if (watchLauncher) env.STRANGLER_PARENT_PID = String(process.pid);
const child = spawn(command, args, { cwd: process.cwd(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
let seen = '';
child.stdout.on('data', (chunk) => {
  seen += chunk;
  if (seen.includes('"listening"')) { process.stdout.write(child.pid + '\\n'); process.exit(0); }
});
child.on('exit', (code) => { process.stderr.write('server exited with ' + code + ' before listening\\n' + seen); process.exit(1); });
setTimeout(() => { process.stderr.write('no listening line within 60 s\\n' + seen); child.kill('SIGKILL'); process.exit(1); }, 60_000);
`;

const { dir, cleanup } = tempDir('strangler-orphans-');
const db = seedDatabase(dir);
const orphans: number[] = [];
afterAll(() => {
  for (const pid of orphans) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  cleanup();
});

const SERVERS: Record<string, { command: string; args: string[]; env: Record<string, string> }> = {
  'the TS server': {
    command: process.execPath,
    args: ['--import', 'tsx', 'gateway/server/main.ts'],
    env: { TS_PORT: '0', INTERNAL_PORT: '0', STRANGLER_INTERNAL_TOKEN: TEST_INTERNAL_TOKEN, FORUM_DB: db, LEGACY_PORT: '1' },
  },
  // The primary stops its workers before it exits; a worker whose primary is gone exits by itself.
  'the TS server with two workers': {
    command: process.execPath,
    args: ['--import', 'tsx', 'gateway/server/main.ts'],
    env: { TS_PORT: '0', INTERNAL_PORT: '0', TS_WORKERS: '2', STRANGLER_INTERNAL_TOKEN: TEST_INTERNAL_TOKEN, FORUM_DB: db, LEGACY_PORT: '1' },
  },
  'the edge': { command: process.execPath, args: ['--import', 'tsx', 'gateway/edge/main.ts'], env: { FRONT_PORT: '0', LEGACY_PORT: '1', TS_PORT: '1' } },
  'legacy serve.py': { command: PYTHON, args: ['legacy-python/serve.py'], env: { LEGACY_PORT: '0', STRANGLER_INTERNAL_TOKEN: TEST_INTERNAL_TOKEN, FORUM_DB: db } },
};

/** Start the server through a launcher that exits once it listens; the orphan's pid. */
function startOrphan(server: (typeof SERVERS)[string], { watchLauncher }: { watchLauncher: boolean }): number {
  // The launcher's own environment must not make the server watch this test process.
  const { STRANGLER_PARENT_PID: _ignored, ...env } = process.env;
  const launched = spawnSync(process.execPath, ['-e', LAUNCHER, JSON.stringify([server.command, server.args, { LOG_LEVEL: 'info', ...server.env }, watchLauncher])], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 90_000,
  });
  const pid = Number(launched.stdout.trim());
  if (launched.status !== 0 || !Number.isInteger(pid) || pid <= 0) throw new Error(`the launcher failed (${launched.status}): ${launched.stderr}${launched.stdout}`);
  orphans.push(pid);
  return pid;
}

describe.each(Object.entries(SERVERS))('%s, orphaned with its stdout closed', (_name, server) => {
  it('stops on SIGTERM within its drain deadline', async () => {
    const pid = startOrphan(server, { watchLauncher: false });
    expect(isAlive(pid)).toBe(true);
    process.kill(pid, 'SIGTERM');
    await waitUntilGone([pid], STOP_DEADLINE_MS);
  });

  it('stops by itself once the parent named by STRANGLER_PARENT_PID is gone', async () => {
    // The launcher names itself, as spawnServer does.
    const pid = startOrphan(server, { watchLauncher: true });
    await waitUntilGone([pid], STOP_DEADLINE_MS);
  });
});
