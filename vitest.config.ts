import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Real SMTP servers, child processes and SQLite files: give slow CI machines room.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: keep the pool small so child-process tests are not starved.
    maxWorkers: 2,
  },
});
