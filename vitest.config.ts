import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // hang limits only, above the helpers' wait ceiling (test/helpers/wait.ts, 120 s): a test waits for
    // the events it needs, so on a busy machine it is slower, never failed
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // every test file starts its own server processes; two cores
    maxWorkers: 2,
    fileParallelism: true,
  },
});
