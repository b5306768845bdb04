import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: files run in two forks; heavy suites (simulator + sync) stay bounded in size.
    pool: 'forks',
    maxWorkers: 2,
  },
});
