/**
 * The repository as the deployment checks see it: the files a clean checkout would have (tracked, or
 * new and not git-ignored: never local state such as data/ or nginx/run/), read from disk, except
 * those a test replaced or removed, so the same checks run on the real files and on mutated copies.
 *
 * @example
 * const repo = new RepoView(ROOT, { 'docker/ts.Dockerfile': null }); // as if the file were deleted
 * repo.read('docker/ts.Dockerfile'); // null
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

const listed = new Map<string, ReadonlySet<string>>();

/** `git ls-files` of the work tree: tracked files plus new ones git does not ignore. */
function repositoryFiles(root: string): ReadonlySet<string> {
  let files = listed.get(root);
  if (!files) {
    const output = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    files = new Set(output.split('\0').filter(Boolean));
    listed.set(root, files);
  }
  return files;
}

export class RepoView {
  readonly #root: string;
  readonly #overrides: ReadonlyMap<string, string | null>;
  readonly #files: ReadonlySet<string>;

  constructor(root: string, overrides: Readonly<Record<string, string | null>> = {}) {
    this.#root = root;
    this.#overrides = new Map(Object.entries(overrides).map(([file, text]) => [posix.normalize(file), text]));
    const files = new Set(repositoryFiles(root));
    for (const [file, text] of this.#overrides) {
      if (text === null) files.delete(file);
      else files.add(file);
    }
    this.#files = files;
  }

  /** A copy with more files replaced (text) or removed (null). */
  with(overrides: Readonly<Record<string, string | null>>): RepoView {
    return new RepoView(this.#root, { ...Object.fromEntries(this.#overrides), ...overrides });
  }

  /** The text of a repository-relative file, or null when the repository has no such file. */
  read(file: string): string | null {
    const path = posix.normalize(file);
    if (this.#overrides.has(path)) return this.#overrides.get(path) ?? null;
    if (!this.#files.has(path)) return null;
    try {
      return readFileSync(join(this.#root, path), 'utf8');
    } catch {
      return null; // listed by git but deleted in the work tree
    }
  }

  isFile(file: string): boolean {
    return this.#files.has(posix.normalize(file));
  }

  isDir(dir: string): boolean {
    const path = posix.normalize(dir);
    return path === '.' || this.filesUnder(path).length > 0;
  }

  /** Files under a directory, recursively, repository-relative. */
  filesUnder(dir: string): string[] {
    const prefix = `${posix.normalize(dir).replace(/\/$/, '')}/`;
    return [...this.#files].filter((file) => file.startsWith(prefix));
  }
}
