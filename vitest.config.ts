import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    // Tests bind loopback servers; a fork per file keeps their sockets apart.
    pool: 'forks',
  },
});
