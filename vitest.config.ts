import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // SQLite files and loopback servers are per test file; files still run one at a
    // time so timing-sensitive tests (retry_after, restarts) are not starved on 2 cores.
    fileParallelism: false,
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
