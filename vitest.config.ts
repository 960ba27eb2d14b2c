import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A safety net for hangs, not a speed bound: on a loaded 2-core machine (CI, or several
    // suites at once) a property test's hundreds of runs can take a minute.
    testTimeout: 180_000,
    hookTimeout: 60_000,
    // expect.poll waits for something that will happen; its 1 s default is a speed bound.
    expect: { poll: { timeout: 15_000 } },
    // Tests bind loopback servers; a fork per file keeps their sockets apart.
    pool: 'forks',
  },
});
