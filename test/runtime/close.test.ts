/**
 * Long life, part one: `router.close()` ends every call in flight (a hung request, a retry
 * backoff, a stalled stream) and releases its clients and timers, so a process whose work is
 * done exits by itself.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';

const child = fileURLToPath(new URL('./fixtures/close-child.ts', import.meta.url));
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({
    faults: [
      { match: { model: 'hung-model' }, fault: { type: 'hang' } },
      { match: { model: 'flaky-model' }, fault: { type: 'status', status: 503 } },
      { match: { model: 'stalled-model' }, fault: { type: 'stream-stall', afterChunks: 1 } },
    ],
  });
});
afterAll(() => emulator?.close());

it('close() ends calls in flight and the process then exits by itself', async () => {
  const process_ = spawn(process.execPath, [child, emulator.url], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '' },
  });
  let stdout = '';
  let stderr = '';
  let printedAt = 0;
  process_.stdout.on('data', (data: Buffer) => {
    stdout += data.toString();
    printedAt = performance.now();
  });
  process_.stderr.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  const killer = setTimeout(() => process_.kill('SIGKILL'), 15_000);
  const code = await new Promise<number | null>((resolve) => process_.on('exit', resolve));
  clearTimeout(killer);
  const exitedAt = performance.now();
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const report = JSON.parse(stdout.trim()) as {
    results: Record<string, string>;
    afterClose: string;
    settledMs: number;
    resources: string[];
  };
  expect(report.results).toEqual({
    hung: 'ROUTER_CLOSED',
    sleeping: 'ROUTER_CLOSED',
    stream: 'ROUTER_CLOSED',
  });
  expect(report.afterClose).toBe('ROUTER_CLOSED');
  // Settled without waiting for the hang, the 503 backoff or the stall (a loaded machine's margin).
  expect(report.settledMs).toBeLessThan(1500);
  // No timer and no request left; what remains is stdio and idle pooled sockets.
  expect(report.resources.filter((name) => name === 'Timeout')).toEqual([]);
  // Exits soon after its last output (the 15 s killer would end a process something kept alive).
  expect(exitedAt - printedAt).toBeLessThan(5000);
});
