/**
 * Bytes of JavaScript heap allocated per call. V8's GC profiler (`v8.GCProfiler`) reports the
 * used heap before and after every collection; what was allocated over a block of calls is what
 * the collections reclaimed plus what the heap grew by:
 *   allocated = (used at end − used at start) + Σ (used before GC − used after GC).
 * It counts every allocation in this process while the block runs (the SDK's, undici's, the
 * code under test's), so figures are compared against the SDK alone, block against block.
 * Native memory (sockets' buffers outside the JS heap) is not counted.
 */
import { GCProfiler, getHeapStatistics } from 'node:v8';

const collect = (globalThis as { gc?: () => void }).gc;

/** Runs `calls` calls one after another and returns the heap bytes allocated per call. */
export async function allocatedPerCall(
  call: () => Promise<unknown>,
  calls: number,
): Promise<number> {
  collect?.();
  const profiler = new GCProfiler();
  const start = getHeapStatistics().used_heap_size;
  profiler.start();
  for (let index = 0; index < calls; index += 1) await call();
  const data = profiler.stop();
  const end = getHeapStatistics().used_heap_size;
  let reclaimed = 0;
  for (const event of data?.statistics ?? []) {
    reclaimed +=
      event.beforeGC.heapStatistics.usedHeapSize - event.afterGC.heapStatistics.usedHeapSize;
  }
  return (end - start + reclaimed) / calls;
}
