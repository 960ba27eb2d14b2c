/**
 * watchConfig never crashes its process and never applies a half-written file: every failure of
 * a reload goes to `onError` while the old config serves on, and a changed text goes live only
 * once two reads `debounceMs` apart agree. Real files and fs events; the debounce timers are
 * driven by hand where the order of reads and writes is the point.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ConfigReloadErrorState, ConfigReloadState } from '../../src/config/watch-config.ts';
import { createRouter, loadConfig, type Router, watchConfig } from '../../src/index.ts';

let directory: string;
const cleanups: (() => unknown)[] = [];
beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'switchyard-watch-safety-'));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));
afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const base = `version: 1
gateways:
  g: { type: openai-compatible, baseURL: "http://127.0.0.1:9/v1" }
upstreams:
  u: { gateway: g, model: m }
models:
  a: u
`;

/** Waits (in real time) until `condition` holds, or fails after `ms`. */
async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function start(name: string, options: { router?: Router; debounceMs?: number } = {}) {
  const file = join(directory, name);
  writeFileSync(file, base);
  const router = options.router ?? createRouter(loadConfig(file, { env: {} }));
  const reloads: ConfigReloadState[] = [];
  const errors: ConfigReloadErrorState[] = [];
  const watcher = watchConfig(file, {
    router,
    env: {},
    debounceMs: options.debounceMs ?? 20,
    onReload: (state) => reloads.push(state),
    onError: (state) => errors.push(state),
  });
  cleanups.push(
    () => router.close(),
    () => watcher.close(),
  );
  return { file, router, watcher, reloads, errors };
}

describe('watchConfig under failure', () => {
  it('reports a config that used to overflow the stack (a 1,600-deep chain), and serves on', async () => {
    const { file, router, errors, reloads } = start('deep.yaml');
    let deep = base;
    for (let index = 0; index < 1600; index += 1) deep += `  d${index}: d${index + 1}\n`;
    deep += '  d1600: u\n';
    writeFileSync(file, deep);
    await until(() => errors.length > 0);
    expect(errors[0]?.error.name).toBe('ConfigError');
    expect(errors[0]?.error.issues[0]?.code).toBe('INVALID_VALUE');
    expect(errors[0]?.error.issues[0]?.line).toBeGreaterThan(7);
    expect(reloads).toEqual([]);
    expect(Object.keys(router.config().aliases)).toEqual(['a']);
  });

  it('turns any exception of a reload into an onError report, never a throw from a timer', async () => {
    const file = join(directory, 'throws.yaml');
    writeFileSync(file, base);
    const table = loadConfig(file, { env: {} });
    const boom = new TypeError('reload exploded');
    // A router whose reload fails in a way no config problem does.
    const router = {
      ...createRouter(table),
      config: () => table,
      reload: () => {
        throw boom;
      },
    } as Router;
    const { errors, watcher } = start('throws.yaml', { router });
    writeFileSync(file, `${base}  b: u\n`);
    await until(() => errors.length > 0);
    expect(errors[0]?.error.name).toBe('ConfigError');
    expect(errors[0]?.error.cause).toBe(boom);
    expect(errors[0]?.error.message).toContain('the previous one still serves');
    // The explicit check reports the same way instead of throwing.
    writeFileSync(file, `${base}  c: u\n`);
    expect(watcher.check()).toBe('invalid');
  });

  it('does not apply a valid prefix when the writer pauses past the debounce', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const { file, router, reloads, errors } = start('half.yaml', { debounceMs: 100 });
    const full = `${base}  b: u\n  c: u\n`;
    // The first part is a valid config on its own (it has alias b, not c).
    const prefix = full.slice(0, full.indexOf('  c: u'));
    writeFileSync(file, prefix);
    await until(() => vi.getTimerCount() > 0); // the fs event arrived and armed the debounce
    vi.advanceTimersByTime(100); // first read: the prefix
    writeFileSync(file, full); // the writer resumes after the first read
    for (let round = 0; round < 3 && reloads.length === 0; round += 1) {
      vi.advanceTimersByTime(100);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(errors).toEqual([]);
    expect(reloads.map((reload) => Object.keys(reload.table.aliases))).toEqual([['a', 'b', 'c']]);
    expect(Object.keys(router.config().aliases)).toEqual(['a', 'b', 'c']);
  });

  it('applies a text once two reads a debounce apart agree', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const { file, reloads } = start('stable.yaml', { debounceMs: 100 });
    writeFileSync(file, `${base}  b: u\n`);
    await until(() => vi.getTimerCount() > 0);
    vi.advanceTimersByTime(100);
    expect(reloads).toHaveLength(0); // one read is not enough
    vi.advanceTimersByTime(100);
    expect(reloads).toHaveLength(1);
  });
});
