import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Suites share one PostgreSQL server; each uses its own schema, but heavy suites
    // (reliability, browser) must not starve each other on two cores.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
