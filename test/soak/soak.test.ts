/**
 * Long life, part two: the soak (`scripts/soak.ts`) in a short version — 5,000 calls with mixed
 * faults and aborts on one router, in a child process with `--expose-gc`. The full 100,000 run
 * under `npm run soak`. Asserts the figures it reports: the heap levels off, abort listeners on
 * the caller's reused signal and on the router's signal return to their baseline, health memory
 * stays within its bound, replaced configs are collected, no timer is left after `close()`, and
 * the process then exits by itself.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../scripts/soak.ts', import.meta.url));

type Figures = {
  calls: number;
  heapMB: { mid: number; end: number; secondHalfGrowth: number; checkpoints: number[] };
  listeners: {
    baseline: { shared: number; router: number };
    end: { shared: number; router: number };
    sharedWhileInFlight: number;
  };
  healthSize: { max: number; limit: number };
  replacedConfigs: { total: number; alive: number };
  timersAfterClose: number;
  outcomes: Record<string, number>;
  unexpected: { count: number; samples: string[] };
  failures: string[];
};

it('5,000 calls with faults and aborts: no leak, bounded state, clean exit', async () => {
  const child = spawn(
    process.execPath,
    ['--expose-gc', script, '--calls', '5000', '--concurrency', '8', '--json'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  let printedAt = 0;
  child.stdout.on('data', (data: Buffer) => {
    stdout += data.toString();
    printedAt = performance.now();
  });
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  // Generous: on a loaded 2-core machine the 5,000 calls take minutes, not seconds.
  const killer = setTimeout(() => child.kill('SIGKILL'), 400_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(killer);
  const exitDelayMs = performance.now() - printedAt;

  expect(stderr).toBe('');
  const figures = JSON.parse(stdout.trim()) as Figures;
  expect(figures.failures).toEqual([]);
  expect(code).toBe(0);
  expect(figures.unexpected.count).toBe(0);
  expect(figures.calls).toBe(5000);
  // Every kind of call happened, failures included.
  for (const outcome of [
    'plain:primary',
    'stream:primary',
    'embeddings:ok',
    'fallback-after-down:skipped',
    'server-error:ALL_TARGETS_FAILED',
    'rate-limited:ALL_TARGETS_FAILED',
    'reset:ALL_TARGETS_FAILED',
    'stream-cut:STREAM_INTERRUPTED',
    'stream-abort:ABORTED',
    'caller-abort:ABORTED',
    'deadline:DEADLINE_EXCEEDED',
    'many-upstreams:ALL_TARGETS_FAILED',
  ]) {
    expect(figures.outcomes[outcome], outcome).toBeGreaterThan(0);
  }
  expect(figures.heapMB.secondHalfGrowth).toBeLessThan(Math.max(2, figures.heapMB.mid * 0.05));
  expect(figures.listeners.end).toEqual(figures.listeners.baseline);
  expect(figures.listeners.sharedWhileInFlight).toBeGreaterThan(0);
  expect(figures.healthSize.max).toBeLessThanOrEqual(figures.healthSize.limit);
  expect(figures.replacedConfigs).toEqual({ total: 20, alive: 0 });
  expect(figures.timersAfterClose).toBe(0);
  // No process.exit in the script: after close() it exits on its own (a timer or socket left
  // open would hold it until the killer).
  expect(exitDelayMs).toBeLessThan(10_000);
}, 420_000);
