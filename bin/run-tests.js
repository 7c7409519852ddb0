#!/usr/bin/env node
// `npm test`: the type check, the lint (eslint and prettier --check), the TypeScript tests (vitest) and
// the legacy Python tests (unittest), in that order, then one summary. The last line is always
// `N passed, N failed` (`, N skipped` appended when there are skips); the exit code is 1 when anything
// failed. The type check counts as one test, and so does the lint.
//
//   npm test                      # everything
//   npm test -- test/deploy       # vitest runs only the matching files; the other parts still run
//   npm test -- -t 'returns 502'  # any vitest option or filter passes through
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const PYTHON = process.env.PYTHON ?? 'python3';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';

/**
 * Run a command from `cwd`, its output shown as it comes; resolves with its exit code (null when it
 * could not start or was killed) and, when `capture` is set, what it printed.
 */
function run(command, args, { cwd = ROOT, capture = false } = {}) {
  return new Promise((done) => {
    let output = '';
    const child = spawn(command, args, { cwd, stdio: capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'] });
    if (capture) {
      child.stdout.on('data', (chunk) => {
        output += chunk;
        process.stdout.write(chunk);
      });
      child.stderr.on('data', (chunk) => {
        output += chunk;
        process.stderr.write(chunk);
      });
    }
    child.on('error', (err) => {
      console.error(`run-tests: cannot run ${command}: ${err.message}`);
      done({ code: null, output });
    });
    child.on('close', (code) => done({ code, output }));
  });
}

const heading = (title) => console.log(`\n━━ ${title} ━━`);

async function typecheck() {
  heading('type check: tsc --noEmit -p .');
  const { code } = await run(NPX, ['tsc', '--noEmit', '-p', '.']);
  if (code === 0) console.log('type check: no errors');
  return { passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0, note: code === 0 ? '' : `tsc exited with ${code}` };
}

async function lint() {
  heading('lint: eslint . && prettier --check .');
  const { code: eslint } = await run(NPX, ['eslint', '.']);
  const { code: prettier } = await run(NPX, ['prettier', '--check', '.']);
  const problems = [
    eslint === 0 ? '' : `eslint exited with ${eslint}`,
    prettier === 0 ? '' : `prettier --check exited with ${prettier} (npm run format rewrites the files)`,
  ].filter(Boolean);
  if (problems.length === 0) console.log('lint: no problems');
  return { passed: problems.length === 0 ? 1 : 0, failed: problems.length === 0 ? 0 : 1, skipped: 0, note: problems.join('; ') };
}

async function vitest(extraArgs) {
  heading(`TypeScript tests: vitest run${extraArgs.length ? ` ${extraArgs.join(' ')}` : ''}`);
  const dir = mkdtempSync(join(tmpdir(), 'strangler-tests-'));
  const report = join(dir, 'vitest.json');
  try {
    const { code } = await run(NPX, ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extraArgs]);
    let json;
    try {
      json = JSON.parse(readFileSync(report, 'utf8'));
    } catch {
      return { passed: 0, failed: 1, skipped: 0, note: `vitest exited with ${code} and wrote no report` };
    }
    // A file that fails to load (syntax error, throwing import, failing hook) reports no test results:
    // count each such file as one failure, so it can never pass unnoticed.
    const brokenFiles = (json.testResults ?? []).filter((file) => file.status === 'failed' && !(file.assertionResults ?? []).some((test) => test.status === 'failed'));
    for (const file of brokenFiles) console.log(`vitest: ${file.name} failed outside any test: ${(file.message ?? '').split('\n')[0]}`);
    const result = {
      passed: json.numPassedTests ?? 0,
      failed: (json.numFailedTests ?? 0) + brokenFiles.length,
      skipped: (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0),
      note: '',
    };
    // Whatever the counts say, a non-zero exit (e.g. unhandled errors between tests) is a failure.
    if (code !== 0 && result.failed === 0) {
      result.failed = 1;
      result.note =
        result.passed + result.skipped === 0
          ? `vitest exited with ${code} without running a test (does the filter match a file?)`
          : `vitest exited with ${code} though no test failed (an unhandled error?)`;
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** unittest's summary: `Ran 12 tests in 0.3s` then `OK`, `OK (skipped=1)` or `FAILED (failures=1, errors=2, skipped=3)`. */
export function parseUnittest(output) {
  const ran = [...output.matchAll(/^Ran (\d+) tests? in /gm)].at(-1);
  if (!ran) return null;
  const tail = output.slice(ran.index);
  const count = (name) => Number(new RegExp(`\\b${name}=(\\d+)`).exec(tail)?.[1] ?? 0);
  const total = Number(ran[1]);
  const failed = count('failures') + count('errors') + count('unexpected successes');
  const skipped = count('skipped');
  const verdict = /^(OK|FAILED)\b/m.exec(tail)?.[1];
  return { passed: total - failed - skipped, failed, skipped, verdict };
}

async function python() {
  heading('legacy Python tests: python3 -m unittest discover -s tests -t .');
  const { code, output } = await run(PYTHON, ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'], { cwd: join(ROOT, 'legacy-python'), capture: true });
  const counts = parseUnittest(output);
  if (!counts) return { passed: 0, failed: 1, skipped: 0, note: `unittest exited with ${code} before reporting a count` };
  if (code !== 0 && counts.failed === 0) return { ...counts, failed: 1, note: `unittest exited with ${code} (${counts.verdict ?? 'no verdict'})` };
  return { ...counts, note: '' };
}

const line = ({ passed, failed, skipped }) => `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;

async function main(extraArgs) {
  const parts = [
    ['type check', () => typecheck()],
    ['lint', () => lint()],
    ['TypeScript (vitest)', () => vitest(extraArgs)],
    ['legacy Python (unittest)', () => python()],
  ];
  const results = [];
  for (const [name, part] of parts) {
    const started = performance.now();
    const result = await part();
    results.push({ name, seconds: (performance.now() - started) / 1000, ...result });
  }

  heading('summary');
  const width = Math.max(...results.map((result) => result.name.length));
  for (const result of results) {
    console.log(`${result.name.padEnd(width)}  ${line(result).padEnd(34)} ${result.seconds.toFixed(1).padStart(6)} s${result.note ? `  (${result.note})` : ''}`);
  }
  const total = results.reduce((sum, result) => ({ passed: sum.passed + result.passed, failed: sum.failed + result.failed, skipped: sum.skipped + result.skipped }), {
    passed: 0,
    failed: 0,
    skipped: 0,
  });
  console.log(line(total));
  return total.failed > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
