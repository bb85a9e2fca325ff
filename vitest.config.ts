import { defineConfig } from 'vitest/config';
import { optedOutTestFiles } from './test/support/tools.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests of a tool the user explicitly opted out of (STRATO_TESTS_WITHOUT_GCLOUD=1, …); see test/README.md.
    exclude: ['**/node_modules/**', ...optedOutTestFiles()],
    // Tests that start `strato` as a process run the build (bin/strato.js → dist/).
    globalSetup: ['test/setup/build-package.ts'],
    // Integration tests spawn processes and servers; two cores is the CI budget.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
