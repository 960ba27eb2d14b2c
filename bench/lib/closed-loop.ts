/**
 * A closed loop that never stops between windows: `concurrency` callers make calls back to back,
 * each through the rung that is active when the call starts. Switching to another rung does not
 * stop the callers or close a connection; the calls of the previous rung still in flight finish
 * on their own. The new rung's window starts counting only once the last of them has ended (so
 * that every call in flight during a window is that window's rung) and once `concurrency` calls
 * of the new rung have ended (about one call per caller: its connections are open and the loop
 * is in its steady state, also for a rung whose first calls are slow). A window then counts the
 * calls that end inside it, and reads the elapsed time and this process's CPU time (user +
 * system, all threads; and its main thread's alone) at the same two moments.
 */

/** What the loop calls: one plain call per invocation. */
export type LoopRung = { readonly id: string; plain(): Promise<void> };

/** One counted window. */
export type LoopWindow = {
  readonly rungId: string;
  /** Calls that ended inside the window. */
  readonly completed: number;
  /** The window's length as measured (a late timer lengthens it; the count covers the same span). */
  readonly seconds: number;
  /** CPU time of this process over the same span. */
  readonly cpuSeconds: number;
  /** CPU time of this process's main thread (the event loop) over the same span. */
  readonly mainCpuSeconds: number;
  /** Wall time from the switch until counting started (drain and settle), ms. */
  readonly settleMs: number;
  /** Latencies (ms) of the calls that ended inside the window. */
  readonly latencies: readonly number[];
};

/** Errors per rung id, with the first message seen. */
export type LoopErrors = Map<string, { count: number; first: string }>;

export type ClosedLoop = {
  /**
   * Makes `rung` the active one, waits for the previous rung's calls to drain, then counts for
   * `windowMs` (measured, see {@link LoopWindow.seconds}).
   */
  window(rung: LoopRung, windowMs: number): Promise<LoopWindow>;
  /** Stops the callers after their current call and waits for them. */
  stop(): Promise<void>;
  readonly errors: LoopErrors;
};

const cpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};
const mainCpuSeconds = () => {
  const usage = process.threadCpuUsage();
  return (usage.user + usage.system) / 1e6;
};

/** Starts `concurrency` callers on `first`. */
export function startClosedLoop(concurrency: number, first: LoopRung): ClosedLoop {
  let rung = first;
  let epoch = 0;
  let stopping = false;
  // Calls in flight that started under an earlier epoch than the current one.
  let older = 0;
  let inFlightCurrent = 0;
  // Calls of the current epoch that have ended (any outcome).
  let endedCurrent = 0;
  let settled: { need: number; resolve: () => void } | undefined;
  const checkSettled = () => {
    if (settled !== undefined && older === 0 && endedCurrent >= settled.need) settled.resolve();
  };
  // The counting window, when one is open.
  let counting: { completed: number; latencies: number[] } | undefined;
  const errors: LoopErrors = new Map();

  const caller = async () => {
    while (!stopping) {
      const callEpoch = epoch;
      const callRung = rung;
      inFlightCurrent += 1;
      const start = performance.now();
      let failed = false;
      try {
        await callRung.plain();
      } catch (error) {
        failed = true;
        const entry = errors.get(callRung.id);
        if (entry === undefined) {
          errors.set(callRung.id, {
            count: 1,
            first: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          });
        } else entry.count += 1;
      }
      const end = performance.now();
      if (callEpoch === epoch) {
        inFlightCurrent -= 1;
        endedCurrent += 1;
        if (counting !== undefined && !failed) {
          counting.completed += 1;
          counting.latencies.push(end - start);
        }
      } else older -= 1;
      checkSettled();
      // A failing rung may reject without any I/O; let timers run between its calls.
      if (failed) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const callers = Array.from({ length: concurrency }, caller);

  return {
    errors,
    async window(next, windowMs) {
      const switched = performance.now();
      rung = next;
      epoch += 1;
      older += inFlightCurrent;
      inFlightCurrent = 0;
      endedCurrent = 0;
      await new Promise<void>((resolve) => {
        settled = { need: concurrency, resolve };
        checkSettled();
      });
      settled = undefined;
      const settleMs = performance.now() - switched;
      const open = { completed: 0, latencies: [] as number[] };
      counting = open;
      const startedAt = performance.now();
      const startedCpu = cpuSeconds();
      const startedMainCpu = mainCpuSeconds();
      await new Promise((resolve) => setTimeout(resolve, windowMs));
      // Count, time and CPU are read together, in one synchronous step.
      counting = undefined;
      const seconds = (performance.now() - startedAt) / 1000;
      const cpu = cpuSeconds() - startedCpu;
      const mainCpu = mainCpuSeconds() - startedMainCpu;
      return {
        rungId: next.id,
        completed: open.completed,
        seconds,
        cpuSeconds: cpu,
        mainCpuSeconds: mainCpu,
        settleMs,
        latencies: open.latencies,
      };
    },
    async stop() {
      stopping = true;
      await Promise.all(callers);
    },
  };
}
