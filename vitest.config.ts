import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Socket-heavy integration tests share the fd limit and the port range: run files one at a time.
    fileParallelism: false,
    reporters: ['default'],
  },
});
