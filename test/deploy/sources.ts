/**
 * What a program needs from the repository at run time: its own file, the files it imports
 * (relative ES imports for TypeScript/JavaScript, package-local imports for Python), and the paths it
 * reads relative to itself with `new URL('…', import.meta.url)` or from the repository root with
 * `resolve(ROOT, '…')`.
 *
 * @example
 * const needs = runtimeNeeds(repo, 'gateway/server/main.ts');
 * needs.files.has('gateway/routes/index.ts'); // true
 * needs.dirs.has('nginx/pages');        // true: the proxy's error pages
 */
import { posix } from 'node:path';
import type { RepoView } from './repo-view.ts';

export interface RuntimeNeeds {
  /** Repository-relative files the program loads. */
  readonly files: Set<string>;
  /** Repository-relative directories it reads through `new URL(…, import.meta.url)`. */
  readonly dirs: Set<string>;
  /** Whether it imports packages (so the image needs node_modules). */
  usesPackages: boolean;
  /** Imports that point at files the repository does not have. */
  readonly missing: Set<string>;
}

const SCRIPT = /\.(?:[cm]?[jt]s|py)$/;
export const isScript = (word: string): boolean => SCRIPT.test(word);

/** Drop block comments and whole-line comments: JSDoc examples are full of imports. */
const stripJsComments = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

const JS_IMPORTS = [/^\s*(?:import|export)\s+(?!type\b)[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm, /^\s*import\s*['"]([^'"]+)['"]/gm, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
const JS_URLS = /new\s+URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g;
/** `resolve(ROOT, 'legacy-python/forum/templates/error.html')`: this repository's way to name a file from its root. */
const JS_ROOT_PATHS = /\b(?:resolve|join)\(\s*ROOT\s*,\s*['"]([^'"]+)['"]\s*\)/g;

function jsStep(repo: RepoView, file: string, text: string, needs: RuntimeNeeds, queue: string[]): void {
  const code = stripJsComments(text);
  for (const pattern of JS_IMPORTS) {
    for (const match of code.matchAll(pattern)) {
      const specifier = match[1]!;
      if (!specifier.startsWith('.')) {
        if (!specifier.startsWith('node:')) needs.usesPackages = true;
        continue;
      }
      queue.push(posix.join(posix.dirname(file), specifier));
    }
  }
  const targets = [
    ...[...code.matchAll(JS_URLS)].map((match) => posix.join(posix.dirname(file), match[1]!)),
    ...[...code.matchAll(JS_ROOT_PATHS)].map((match) => posix.normalize(match[1]!)),
  ];
  for (const found of targets) {
    const target = found.replace(/\/$/, '');
    if (target === '.' || target.startsWith('..')) continue; // the repository root itself, or outside it
    // A path that does not exist is one the program writes (nginx/run, nginx/generated), not one it needs.
    if (repo.isDir(target)) needs.dirs.add(target);
    else if (repo.isFile(target)) queue.push(target);
  }
}

/** `import a.b`, `from a.b import c`, `from .x import y`, resolved inside the repository; the rest is the stdlib. */
function pyStep(repo: RepoView, file: string, text: string, root: string, queue: string[]): void {
  const here = posix.dirname(file);
  const candidates = (base: string, dotted: string): string[] => {
    const path = posix.join(base, ...dotted.split('.').filter(Boolean));
    return [`${path}.py`, posix.join(path, '__init__.py')];
  };
  const add = (base: string, dotted: string): void => {
    const parts = dotted.split('.').filter(Boolean);
    // Each package on the way is imported too (its __init__.py runs).
    for (let i = 1; i <= parts.length; i += 1) {
      const found = candidates(base, parts.slice(0, i).join('.')).find((candidate) => repo.isFile(candidate));
      if (found) queue.push(found);
    }
  };
  for (const match of text.matchAll(/^\s*from\s+(\.*)([\w.]*)\s+import\s+\(?([\w, ]*)/gm)) {
    const dots = match[1]!.length;
    const module = match[2]!;
    const base = dots === 0 ? root : posix.join(here, ...Array<string>(dots - 1).fill('..'));
    add(base, module);
    // `from pkg import mod` may name submodules.
    for (const name of match[3]!
      .split(',')
      .map((word) => word.trim())
      .filter(Boolean)) {
      const sub = candidates(posix.join(base, ...module.split('.').filter(Boolean)), name).find((candidate) => repo.isFile(candidate));
      if (sub) queue.push(sub);
    }
  }
  for (const match of text.matchAll(/^\s*import\s+([\w., ]+)$/gm)) {
    for (const module of match[1]!.split(',').map((word) => word.trim().split(/\s+/)[0]!)) add(root, module);
  }
}

/** Everything `entry` (a repository-relative script) needs at run time. */
export function runtimeNeeds(repo: RepoView, entry: string): RuntimeNeeds {
  const needs: RuntimeNeeds = { files: new Set(), dirs: new Set(), usesPackages: false, missing: new Set() };
  // Python puts the script's directory first on sys.path.
  const pyRoot = posix.dirname(entry);
  const queue = [posix.normalize(entry)];
  while (queue.length > 0) {
    const file = posix.normalize(queue.pop()!);
    if (needs.files.has(file) || needs.missing.has(file)) continue;
    const text = repo.read(file);
    if (text === null) {
      needs.missing.add(file);
      continue;
    }
    needs.files.add(file);
    if (file.endsWith('.py')) pyStep(repo, file, text, pyRoot, queue);
    else if (isScript(file)) jsStep(repo, file, text, needs, queue);
  }
  return needs;
}
