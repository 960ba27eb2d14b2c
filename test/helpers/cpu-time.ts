/**
 * CPU time instead of wall-clock time for cost bounds: on a loaded machine a parse waits for a
 * core as long as the scheduler likes, but the work it does (the thing a bound is about: linear,
 * not quadratic) stays the same. Each test file runs in its own process (`pool: 'forks'`), so
 * the process's CPU time is this test's.
 */

/** Runs `action` and returns its result (or thrown value) and the CPU time it took, in ms. */
export function measureCpu<T>(
  action: () => T,
): { result: T; cpuMs: number } | { thrown: unknown; cpuMs: number } {
  const before = process.cpuUsage();
  try {
    const result = action();
    return { result, cpuMs: cpuMs(before) };
  } catch (thrown) {
    return { thrown, cpuMs: cpuMs(before) };
  }
}

function cpuMs(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}
