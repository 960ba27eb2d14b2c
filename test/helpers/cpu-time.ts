/**
 * CPU time instead of wall-clock time for cost bounds: on a loaded machine a parse waits for a
 * core as long as the scheduler likes, but the work it does (the thing a bound is about: linear,
 * not quadratic) stays the same. The main thread's CPU time (Node ≥ 23.9; the process's before),
 * so the collector's and the compiler's helper threads, which a loaded machine slows down and
 * which run beside the parse, are not counted.
 */

/** Runs `action` and returns its result (or thrown value) and the CPU time it took, in ms. */
export function measureCpu<T>(
  action: () => T,
): { result: T; cpuMs: number } | { thrown: unknown; cpuMs: number } {
  const before = usage();
  try {
    const result = action();
    return { result, cpuMs: cpuMs(before) };
  } catch (thrown) {
    return { thrown, cpuMs: cpuMs(before) };
  }
}

type Usage = (before?: NodeJS.CpuUsage) => NodeJS.CpuUsage;

const threadUsage = (process as { threadCpuUsage?: Usage }).threadCpuUsage;
const usage: Usage =
  threadUsage === undefined
    ? (before) => process.cpuUsage(before)
    : (before) => threadUsage.call(process, before);

function cpuMs(before: NodeJS.CpuUsage): number {
  const used = usage(before);
  return (used.user + used.system) / 1000;
}
