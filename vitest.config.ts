import { defineConfig } from 'vitest/config';
import { optedOutTestFiles } from './test/support/tools.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests of a tool the user explicitly opted out of (STRATO_TESTS_WITHOUT_GCLOUD=1, …); see test/README.md.
    exclude: ['**/node_modules/**', ...optedOutTestFiles()],
    // Tests that start `strato` as a process run the build (bin/strato.js → dist/).
    globalSetup: ['test/setup/build-package.ts'],
    // Integration tests spawn processes and servers; two cores is the CI budget. Most files wait on
    // processes and loopback servers more than they compute, so two files run at once (vitest's default
    // on two cores is one, which left the suite at 20+ minutes).
    pool: 'forks',
    maxWorkers: 2,
    // A ceiling for a hung test, not a speed check (benchmarks are in bench/): with two files at once
    // on two cores, a test that takes 10 s alone can take three times that.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
