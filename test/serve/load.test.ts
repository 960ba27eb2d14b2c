/**
 * Concurrent streamed requests through `switchyard serve`, three rounds, with the primary
 * failing in every way the emulator can (`scripts/serve-load.ts`, run in a child process with
 * `--expose-gc`). Every response is complete or a clean error; the heap after full GCs stays flat
 * once the first round has warmed up.
 *
 * 300 streams at once here, so the suite stays reasonable on a busy two-core machine (and leaves
 * CPU to the suite's other timing-sensitive tests); `npm run serve-load` runs the full 1,000
 * concurrent streams × 4 rounds, whose figures docs/serve.md reports.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../scripts/serve-load.ts', import.meta.url));

type Figures = {
  streams: number;
  rounds: number;
  outcomes: Record<string, number>;
  broken: number;
  samples: string[];
  heapMB: number[];
  cutOffAtClose: number;
};

it('300 concurrent streams with faults on the primary: complete or a clean error, heap flat', async () => {
  const child = spawn(
    process.execPath,
    ['--expose-gc', script, '--streams', '300', '--rounds', '3', '--json'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => {
    stdout += data.toString();
  });
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 280_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(killer);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const figures = JSON.parse(stdout.trim()) as Figures;
  expect(figures.samples).toEqual([]);
  expect(figures.broken).toBe(0);
  const total = Object.values(figures.outcomes).reduce((sum, count) => sum + count, 0);
  expect(total).toBe(900);
  // Each kind happened: served by the primary, saved by the backup, and failed cleanly mid-stream.
  expect(figures.outcomes['complete:primary']).toBeGreaterThan(0);
  expect(figures.outcomes['complete:backup']).toBeGreaterThan(0);
  expect(figures.outcomes['error:event']).toBeGreaterThan(0);
  expect(figures.cutOffAtClose).toBe(0);
  // Heap after GC: after the warm-up round, a further round of 300 streams adds < 2 MB
  // (a kept response, stream or timer per request would add more than that).
  const [, , afterSecond, afterThird] = figures.heapMB;
  expect((afterThird ?? 0) - (afterSecond ?? 0)).toBeLessThan(2);
}, 300_000);
