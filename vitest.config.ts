import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests that start `strato` as a process run the build (bin/strato.js → dist/).
    globalSetup: ['test/setup/build-package.ts'],
    // Integration tests spawn processes and servers; two cores is the CI budget.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
