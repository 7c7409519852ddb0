import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['gateway/**/*.test.ts', 'services/**/*.test.ts', 'test/**/*.test.ts'],
    // Every child process a test file starts is stopped when the file ends, or when its process dies.
    setupFiles: ['test/helpers/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Process-level suites start real servers; two cores do not gain from more parallel files.
    maxWorkers: 2,
  },
});
