import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.ts';
import { createCloudflareClient, userMessage } from './helpers.ts';

describe('startEmulator', () => {
  it('listens on 127.0.0.1 at an ephemeral port by default', async () => {
    const emulator = await startEmulator();
    try {
      expect(emulator.port).toBeGreaterThan(0);
      expect(emulator.url).toBe(`http://127.0.0.1:${emulator.port}`);
      expect(emulator.origin).toBe(emulator.url);
    } finally {
      await emulator.close();
    }
  });

  it('rejects an invalid port', async () => {
    await expect(startEmulator({ port: 70_000 })).rejects.toBeInstanceOf(RangeError);
  });
});

describe('close()', () => {
  it('ends hanging, stalled and delayed exchanges promptly', async () => {
    const emulator = await startEmulator();
    const client = createCloudflareClient({ emulator, timeout: 60_000 });
    const pending = [
      client.chat.completions.create(
        { model: 'openai/a', messages: userMessage('x') },
        { headers: { 'x-emulator-fault': JSON.stringify({ type: 'hang' }) } },
      ),
      client.chat.completions.create(
        { model: 'openai/b', messages: userMessage('x') },
        { headers: { 'x-emulator-fault': JSON.stringify({ type: 'delay', ms: 60_000 }) } },
      ),
      client.chat.completions
        .create(
          { model: 'openai/c', messages: userMessage('x y z'), stream: true },
          {
            headers: {
              'x-emulator-fault': JSON.stringify({ type: 'stream-stall', afterChunks: 1 }),
            },
          },
        )
        .then(async (stream) => {
          for await (const _chunk of stream) {
            // drain until the emulator goes away
          }
        }),
    ].map((request) =>
      request.then(
        () => 'resolved',
        (error: unknown) => error,
      ),
    );
    await expect.poll(() => emulator.requests.length).toBe(3);
    // Let the stalled stream deliver its first chunk before closing.
    await new Promise((resolve) => setTimeout(resolve, 50));

    const started = performance.now();
    await emulator.close();
    // The stalled stream would never end by itself: closing did not wait for it.
    expect(performance.now() - started).toBeLessThan(5000);
    const outcomes = await Promise.all(pending);
    expect(outcomes[0]).toBeInstanceOf(Error);
    expect(outcomes[1]).toBeInstanceOf(Error);
    // The stalled stream had sent a 200; the cut surfaces as an error in the iteration.
    expect(outcomes[2]).toBeInstanceOf(Error);
    expect(emulator.requests.map((entry) => entry.outcome)).toEqual([
      'emulator-closed',
      'emulator-closed',
      'emulator-closed',
    ]);
    await expect(emulator.close()).resolves.toBeUndefined();

    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: emulator.port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it('leaves nothing that keeps a process alive', () => {
    const script = fileURLToPath(new URL('./fixtures/close-exits.ts', import.meta.url));
    // Node 22.6-22.17 strips types only behind a flag; later versions do it by default.
    const args = process.features.typescript ? [script] : ['--experimental-strip-types', script];
    // Something left open would keep the child alive until this timeout kills it (status null).
    const result = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 20_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('closed');
  });
});
