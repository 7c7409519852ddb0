/**
 * What the figures were measured on: they mean little without the CPU, the core count and the versions.
 *
 * @example
 * describeMachine(); // { cpuModel: 'Intel(R) Xeon(R) Processor', cores: 2, versions: { node: 'v20.20.2', ... } }
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus, release, totalmem, type } from 'node:os';
import { PYTHON, ROOT } from '../../test/helpers/processes.ts';
import { NGINX } from '../../test/helpers/stack.ts';
import type { MachineInfo } from './types.ts';

const GIB = 1024 ** 3;

/** The first line a command prints (stdout or stderr: nginx -v and wrk -v use stderr), or 'not installed'. */
function versionOf(command: string, args: readonly string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) return 'not installed';
  return (
    `${result.stdout}${result.stderr}`
      .split('\n')
      .find((line) => line.trim())
      ?.trim() ?? 'unknown'
  );
}

export function describeMachine(): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / GIB) * 10) / 10,
    os: `${type()} ${release()}`,
    versions: {
      node: process.version,
      python: versionOf(PYTHON, ['--version']),
      nginx: NGINX.ok ? versionOf(NGINX.binary, ['-v']).replace(/^nginx version: /, '') : 'not used',
      wrk: versionOf('wrk', ['-v']).split(' [')[0]!,
      gunicorn: versionOf('gunicorn', ['--version']).replace(/\(version (.*)\)/, '$1'),
      sqlite: versionOf(PYTHON, ['-c', 'import sqlite3; print("sqlite", sqlite3.sqlite_version)']),
    },
  };
}

/** The commit the code was measured at, e.g. "18f7eeb" or "18f7eeb + uncommitted changes". */
export function describeRevision(): string {
  const git = (...args: string[]) => spawnSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return 'unknown (not a git checkout)';
  const dirty = git('status', '--porcelain', '--untracked-files=no').stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? ' + uncommitted changes' : ''}`;
}
