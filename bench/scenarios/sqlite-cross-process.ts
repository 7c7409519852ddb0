/**
 * One SQLite file, two processes: the TS server reads threads while a Python process writes replies
 * through legacy's own db module at a steady 200 commits/s (BEGIN IMMEDIATE each), against the same
 * reads with nobody writing. WAL mode should let readers through untouched; a busy error anywhere
 * (a client's non-2xx, the writer's "database is locked") is a failure whatever the ratio.
 */
import { spawn } from 'node:child_process';
import { forEachLine } from '../../gateway/process/index.ts';
import { PYTHON, ROOT, stopChild } from '../../test/helpers/processes.ts';
import { startTs } from '../../test/helpers/stack.ts';
import { atLeast, check, noneSeen, throughputRatio } from '../lib/checks.ts';
import { measureInterleaved } from '../lib/measure.ts';
import { median } from '../lib/stats.ts';
import { copyOfForumDatabase, threadPath } from '../lib/stack.ts';
import type { Scenario } from '../lib/types.ts';

const COMMITS_PER_SECOND = 200;
const WRITER_START_TIMEOUT_MS = 10_000;

interface WriterStats {
  readonly commits: number;
  readonly seconds: number;
  readonly rate: number;
  readonly locked: number;
  readonly errors: number;
}

export const sqliteCrossProcess: Scenario = {
  name: 'sqlite-cross-process',
  title: 'Cross-process SQLite',
  measuredAs: `TS read throughput while legacy writes ${COMMITS_PER_SECOND} commits/s / read-only`,
  goal: '≥ 0.8×, zero busy errors seen by clients',
  async run(ctx) {
    const db = await copyOfForumDatabase(ctx);
    const ts = await ctx.own(startTs(ctx.env({ FORUM_DB: db })));
    const url = ts.url + threadPath(ctx);
    const writers: WriterStats[] = [];
    const configurations = await measureInterleaved(ctx, [
      {
        name: 'with-writer',
        label: `TS reads while Python commits ${COMMITS_PER_SECOND}/s`,
        url,
        around: async (run) => {
          const writer = await startWriter(db, ctx.options.threadId);
          try {
            return await run();
          } finally {
            writers.push(await writer.stop());
          }
        },
      },
      { name: 'read-only', label: 'TS reads, nobody writing', url, role: 'ceiling' },
    ]);
    const [withWriter, readOnly] = configurations;
    const rates = writers.map((w) => w.rate);
    const sum = (key: 'locked' | 'errors' | 'commits') => writers.reduce((total, w) => total + w[key], 0);
    return {
      configurations,
      checks: [
        throughputRatio('TS reads with writer / read-only throughput', withWriter!, readOnly!, atLeast(0.8)),
        noneSeen('errors seen by readers (non-2xx, socket)', withWriter!.errors + readOnly!.errors),
        noneSeen('"database is locked" seen by the writer', sum('locked')),
        check('writer commits/s achieved', { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) }, '', null),
      ],
      facts: { writerCommits: sum('commits'), writerOtherErrors: sum('errors'), targetCommitsPerSecond: COMMITS_PER_SECOND },
    };
  },
};

/** The Python writer (bench/fixtures/sqlite_writer.py), resolved once it is writing. */
async function startWriter(db: string, readThread: number): Promise<{ stop(): Promise<WriterStats> }> {
  const args = ['bench/fixtures/sqlite_writer.py', '--db', db, '--rate', String(COMMITS_PER_SECOND), '--skip-thread', String(readThread)];
  const child = spawn(PYTHON, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let writing = (): void => {};
  forEachLine(child.stdout, (line) => {
    lines.push(line);
    if (line.includes('"writing"')) writing();
  });
  forEachLine(child.stderr, (line) => lines.push(line));
  // 'close' comes after the output streams ended, so the last line has been read by then.
  const closed = new Promise<void>((done) => child.once('close', () => done()));
  const failed = (what: string) => new Error(`the SQLite writer ${what}:\n${lines.join('\n')}`);
  const started = new Promise<boolean>((done) => {
    writing = () => done(true);
    void closed.then(() => done(false));
  });
  const timeout = new Promise<boolean>((done) => setTimeout(done, WRITER_START_TIMEOUT_MS, false).unref());
  if (!(await Promise.race([started, timeout]))) {
    await stopChild(child);
    throw failed('did not start writing');
  }
  return {
    async stop() {
      await stopChild(child);
      await closed;
      const last = lines.filter((line) => line.includes('"stopped"')).at(-1);
      if (last === undefined) throw failed('stopped without reporting its commits');
      return JSON.parse(last) as WriterStats;
    },
  };
}
