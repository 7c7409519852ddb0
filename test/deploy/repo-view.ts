/**
 * The repository as the deployment checks see it: files read from disk, except those a test replaced
 * or removed, so the same checks run on the real files and on mutated copies.
 *
 * @example
 * const repo = new RepoView(ROOT, { 'docker/ts.Dockerfile': null }); // as if the file were deleted
 * repo.read('docker/ts.Dockerfile'); // null
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';

export class RepoView {
  readonly #root: string;
  readonly #overrides: ReadonlyMap<string, string | null>;

  constructor(root: string, overrides: Readonly<Record<string, string | null>> = {}) {
    this.#root = root;
    this.#overrides = new Map(Object.entries(overrides));
  }

  /** A copy with more files replaced (text) or removed (null). */
  with(overrides: Readonly<Record<string, string | null>>): RepoView {
    return new RepoView(this.#root, { ...Object.fromEntries(this.#overrides), ...overrides });
  }

  /** The text of a repository-relative file, or null when it does not exist. */
  read(file: string): string | null {
    const path = posix.normalize(file);
    if (this.#overrides.has(path)) return this.#overrides.get(path) ?? null;
    try {
      return readFileSync(join(this.#root, path), 'utf8');
    } catch {
      return null;
    }
  }

  isFile(file: string): boolean {
    const path = posix.normalize(file);
    if (this.#overrides.has(path)) return this.#overrides.get(path) !== null;
    return this.#stat(path)?.isFile() ?? false;
  }

  isDir(file: string): boolean {
    const path = posix.normalize(file);
    return path === '.' || path === '' || (this.#stat(path)?.isDirectory() ?? false);
  }

  /** Files under a directory, recursively, repository-relative. */
  filesUnder(dir: string): string[] {
    const out: string[] = [];
    const walk = (rel: string): void => {
      for (const entry of readdirSync(join(this.#root, rel), { withFileTypes: true })) {
        const child = posix.join(rel, entry.name);
        if (entry.isDirectory()) walk(child);
        else if (entry.isFile() && this.isFile(child)) out.push(child);
      }
    };
    if (this.isDir(dir)) walk(posix.normalize(dir));
    return out;
  }

  #stat(path: string) {
    try {
      return statSync(join(this.#root, path));
    } catch {
      return null;
    }
  }
}
