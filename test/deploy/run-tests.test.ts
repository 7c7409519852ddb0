import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/processes.ts';
// @ts-expect-error -- bin/run-tests.js is plain JavaScript without type declarations
import { parseUnittest } from '../../bin/run-tests.js';

type Counts = { passed: number; failed: number; skipped: number; verdict?: string } | null;
const parse = parseUnittest as (output: string) => Counts;

describe("npm test's reading of unittest output", () => {
  it('counts every test as passed when unittest says OK', () => {
    expect(parse('....\n----------------------------------------------------------------------\nRan 4 tests in 0.01s\n\nOK\n')).toEqual({
      passed: 4,
      failed: 0,
      skipped: 0,
      verdict: 'OK',
    });
  });

  it('takes skips out of the passed count', () => {
    expect(parse('Ran 10 tests in 1.2s\n\nOK (skipped=3)\n')).toMatchObject({ passed: 7, failed: 0, skipped: 3 });
  });

  it('counts failures, errors and unexpected successes as failed', () => {
    expect(parse('Ran 12 tests in 0.5s\n\nFAILED (failures=2, errors=1, skipped=1, expected failures=1, unexpected successes=1)\n')).toEqual({
      passed: 7,
      failed: 4,
      skipped: 1,
      verdict: 'FAILED',
    });
  });

  it('reads a single test in the singular', () => {
    expect(parse('Ran 1 test in 0.001s\n\nOK\n')).toMatchObject({ passed: 1, failed: 0 });
  });

  it('ignores "Ran N tests" printed by a test itself before the real summary', () => {
    expect(parse('Ran 99 tests in 9s (a test printing)\n...\nRan 3 tests in 0.1s\n\nFAILED (errors=1)\n')).toMatchObject({ passed: 2, failed: 1 });
  });

  it('returns null when unittest never reported a count', () => {
    expect(parse('Traceback (most recent call last):\nImportError: no module named forum\n')).toBeNull();
  });
});

describe('npm run test:unit and npm run lint', () => {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const vitestFiles = (...args: string[]) =>
    execFileSync(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'list', '--filesOnly', ...args], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.endsWith('.test.ts'))
      .sort();

  it('runs every unit test beside the code (gateway/, services/) and none of the process-level suites in test/', () => {
    expect(scripts['test:unit']).toBe('vitest run --config vitest.unit.config.ts');
    const unit = vitestFiles('--config', 'vitest.unit.config.ts');
    const all = vitestFiles();
    expect(unit.length).toBeGreaterThan(0);
    expect(unit).toEqual(all.filter((file) => /^(gateway|services)\//.test(file)));
  });

  it('lints with eslint and checks the formatting with prettier, as npm test does', () => {
    expect(scripts.lint).toBe('eslint . && prettier --check .');
    expect(readFileSync(join(ROOT, 'bin/run-tests.js'), 'utf8')).toMatch(/\['lint', \(\) => lint\(\)\]/);
  });
});
