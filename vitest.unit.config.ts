import { defineConfig } from 'vitest/config';
import full from './vitest.config.ts';

// `npm run test:unit`: the unit tests beside the code (gateway/, services/), which start no server
// process, for a run in well under a minute. `npm test` runs these and the process-level suites in test/.
// (The include list replaces the full one: mergeConfig would append to it.)
export default defineConfig({ ...full, test: { ...full.test, include: ['gateway/**/*.test.ts', 'services/**/*.test.ts'] } });
