/**
 * Just enough of a Dockerfile reader for the deployment checks: stages, their WORKDIR, what each COPY
 * puts where, RUN lines, ENV and ARG defaults, and CMD. Not a full parser: heredocs, ONBUILD and glob
 * sources are not needed by this repository's Dockerfiles and are not handled.
 *
 * @example
 * const file = parseDockerfile(readFileSync('docker/ts.Dockerfile', 'utf8'));
 * file.stages.at(-1)?.cmd; // ['node', '--import', 'tsx', 'gateway/server/main.ts']
 */
import { posix } from 'node:path';

export interface CopyInstruction {
  /** `--from=` stage name or index, null for the build context. */
  readonly from: string | null;
  /** Sources as written, relative to the context (or absolute in the `from` stage). */
  readonly sources: readonly string[];
  /** Absolute destination inside the image; ends with '/' when written so. */
  readonly dest: string;
}

export interface Stage {
  readonly index: number;
  readonly name: string | null;
  readonly base: string;
  /** The WORKDIR in force at the end of the stage. */
  workdir: string;
  readonly copies: CopyInstruction[];
  /** RUN commands, with the WORKDIR each ran in. */
  readonly runs: { readonly command: string; readonly workdir: string }[];
  readonly env: Record<string, string>;
  readonly args: Record<string, string>;
  cmd: readonly string[] | null;
}

export interface Dockerfile {
  readonly stages: readonly Stage[];
}

/** Instructions as [keyword, rest], continuation lines joined, comments dropped. */
function instructions(text: string): [string, string][] {
  const out: [string, string][] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (pending === '' && /^\s*#/.test(line)) continue;
    if (pending !== '' && /^\s*#/.test(line)) continue; // comments inside a continued instruction
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    const whole = (pending + line).trim();
    pending = '';
    if (whole === '') continue;
    const match = /^(\S+)\s*(.*)$/.exec(whole);
    if (match) out.push([match[1]!.toUpperCase(), match[2]!]);
  }
  return out;
}

/** The exec form `["a", "b"]`, else the words of the shell form. */
function words(rest: string): string[] {
  if (rest.startsWith('[')) {
    const parsed: unknown = JSON.parse(rest);
    if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return parsed;
    throw new Error(`not a JSON array of strings: ${rest}`);
  }
  return rest.split(/\s+/).filter(Boolean);
}

/** KEY=value pairs (ENV, ARG); values may be double-quoted. */
function assignments(rest: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const match of rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:=("([^"]*)"|\S*))?/g)) {
    pairs.push([match[1]!, match[3] ?? match[2] ?? '']);
  }
  return pairs;
}

export function parseDockerfile(text: string): Dockerfile {
  const stages: Stage[] = [];
  for (const [keyword, rest] of instructions(text)) {
    if (keyword === 'FROM') {
      const match = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(rest);
      const previous = match && stages.find((stage) => stage.name === match[1]);
      stages.push({
        index: stages.length,
        name: match?.[2] ?? null,
        base: match?.[1] ?? rest,
        workdir: previous ? previous.workdir : '/',
        copies: [],
        runs: [],
        env: previous ? { ...previous.env } : {},
        args: {},
        cmd: previous ? previous.cmd : null,
      });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) continue; // ARG before the first FROM
    switch (keyword) {
      case 'WORKDIR':
        stage.workdir = posix.resolve(stage.workdir, rest.trim());
        break;
      case 'COPY':
      case 'ADD': {
        const all = words(rest);
        const flags = all.filter((word) => word.startsWith('--'));
        const paths = all.filter((word) => !word.startsWith('--'));
        const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length) ?? null;
        const destWritten = paths.at(-1) ?? '.';
        const dest = posix.resolve(stage.workdir, destWritten) + (destWritten.endsWith('/') ? '/' : '');
        stage.copies.push({ from, sources: paths.slice(0, -1), dest });
        break;
      }
      case 'RUN':
        stage.runs.push({ command: rest, workdir: stage.workdir });
        break;
      case 'ENV':
        for (const [key, value] of assignments(rest)) stage.env[key] = value;
        break;
      case 'ARG':
        for (const [key, value] of assignments(rest)) stage.args[key] = value;
        break;
      case 'CMD':
        stage.cmd = words(rest);
        break;
    }
  }
  return { stages };
}

/** Strip `./` and trailing slashes: `./gateway/` → `gateway`, `.` → ``. */
export const contextPath = (source: string): string =>
  posix
    .normalize(source)
    .replace(/^\.\/?/, '')
    .replace(/\/+$/, '');

/**
 * Where the build-context file `file` (repository-relative) lands in a stage, or null when no COPY
 * from the context brings it. `isDir` says whether a context path is a directory.
 */
export function imagePathOf(stage: Stage, file: string, isDir: (path: string) => boolean): string | null {
  let found: string | null = null;
  for (const copy of stage.copies) {
    if (copy.from !== null) continue;
    const intoDir = copy.dest.endsWith('/') || copy.sources.length > 1;
    for (const written of copy.sources) {
      const source = contextPath(written);
      if (source === '') {
        found = posix.join(copy.dest, file);
      } else if (file === source && !isDir(source)) {
        found = intoDir ? posix.join(copy.dest, posix.basename(file)) : copy.dest.replace(/\/$/, '');
      } else if (file.startsWith(`${source}/`) && isDir(source)) {
        found = posix.join(copy.dest, file.slice(source.length + 1));
      }
    }
  }
  return found;
}
