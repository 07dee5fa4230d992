import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    // A safety net against hangs, not a speed check: an e2e job on a busy shared machine can take
    // minutes. Waits for jobs fail sooner when a job stops moving (AppClient.waitForJob).
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
