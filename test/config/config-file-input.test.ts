/**
 * The config path is hostile input too, on a real file system: only a regular file is read;
 * a FIFO, `/dev/zero` or a directory is refused at once with `CONFIG_NOT_A_FILE` (a FIFO must
 * not freeze a process, `serve --watch` reloads included); a file larger than the limit is
 * refused from its size before a byte is read; and a 1,000-alias config written in
 * `config.example.yaml`'s style loads with the default limits.
 *
 * What could hang (a FIFO, `/dev/zero`) runs in a child process with a time limit, so a
 * regression fails the test instead of freezing the suite.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { largeConfig, largeConfigEnv } from '../../scripts/config-inputs.ts';
import { loadConfig } from '../../src/index.ts';
import { catchConfigError } from './helpers.ts';

const directory = mkdtempSync(join(tmpdir(), 'switchyard-config-input-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const source = (path: string) => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));

/**
 * Runs `code` (an ES module body with `loadConfig` and `watchConfig` in scope) in a child Node
 * process, killed after `timeoutMs`; resolves with what it printed and whether it was killed.
 */
function runChild(code: string, timeoutMs = 15_000): { stdout: string; killed: boolean } {
  const module = `
import { loadConfig } from ${JSON.stringify(source('config/load-config.ts'))};
import { watchConfig } from ${JSON.stringify(source('config/watch-config.ts'))};
${code}`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', module], {
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  return { stdout: result.stdout, killed: result.signal === 'SIGKILL' };
}

/** Prints the code, the issue's code and message of what loading `path` throws. */
const printLoadError = (path: string) => `
try {
  loadConfig(${JSON.stringify(path)}, { env: {} });
  console.log('loaded');
} catch (error) {
  console.log(JSON.stringify({ code: error.code, issue: error.issues?.[0] }));
}`;

describe('only a regular file is read', () => {
  it('a file larger than the limit is refused from its size, before a byte is read', () => {
    // 200 MB, sparse: no disk spent. Reading it would take hundreds of MB of memory.
    const path = join(directory, 'huge.yaml');
    closeSync(openSync(path, 'w'));
    truncateSync(path, 200 * 1024 * 1024);
    const before = process.memoryUsage();
    const rssBefore = process.resourceUsage().maxRSS;
    const error = catchConfigError(() => loadConfig(path, { env: {} }));
    const after = process.memoryUsage();
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.issues.map((issue) => issue.code)).toEqual(['CONFIG_TOO_LARGE']);
    // The size comes from the file's metadata: the error names it exactly.
    expect(error.issues[0]?.message).toContain('the file is 209715200 bytes; the limit is 1048576');
    expect(error.issues[0]?.message).toContain('--max-size');
    // No buffer of the file's size was allocated.
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(16 * 1024 * 1024);
    expect((process.resourceUsage().maxRSS - rssBefore) * 1024).toBeLessThan(64 * 1024 * 1024);
  });

  it('a file one byte over a raised limit is refused; at the limit it loads', () => {
    const text = `version: 1\ngateways:\n  local: { type: openai-compatible, baseURL: "http://127.0.0.1:1/v1" }\nmodels:\n  fast: local:x\n`;
    const path = join(directory, 'exact.yaml');
    writeFileSync(path, text);
    const size = Buffer.byteLength(text);
    expect(Object.keys(loadConfig(path, { env: {}, limits: { maxSize: size } }).aliases)).toEqual([
      'fast',
    ]);
    const error = catchConfigError(() =>
      loadConfig(path, { env: {}, limits: { maxSize: size - 1 } }),
    );
    expect(error.issues.map((issue) => issue.code)).toEqual(['CONFIG_TOO_LARGE']);
  });

  it('a file longer than its size said (one that grows while read) is cut one byte past the limit', () => {
    // A /proc file is a regular file whose size reads as 0, yet it holds more: the same case as a
    // file that grows between the size check and the read.
    const error = catchConfigError(() =>
      loadConfig('/proc/self/status', { env: {}, limits: { maxSize: 100 } }),
    );
    expect(error.issues.map((issue) => issue.code)).toEqual(['CONFIG_TOO_LARGE']);
    expect(error.issues[0]?.message).toContain('the file is more than 100 bytes');
  });

  it('a directory is CONFIG_NOT_A_FILE', () => {
    const error = catchConfigError(() => loadConfig(directory, { env: {} }));
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.issues.map((issue) => issue.code)).toEqual(['CONFIG_NOT_A_FILE']);
    expect(error.issues[0]?.message).toBe(
      `${directory}: cannot be read: it is a directory, not a regular file; point at the YAML file itself`,
    );
  });

  it('a FIFO is refused at once, with no writer and nothing read', () => {
    const fifo = join(directory, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    const { stdout, killed } = runChild(printLoadError(fifo));
    expect(killed, 'loadConfig blocked on the FIFO').toBe(false);
    expect(JSON.parse(stdout)).toEqual({
      code: 'CONFIG_NOT_FOUND',
      issue: {
        code: 'CONFIG_NOT_A_FILE',
        path: [],
        message: `${fifo}: cannot be read: it is a FIFO (named pipe), not a regular file; point at the YAML file itself`,
      },
    });
  });

  it('/dev/zero is refused at once, without reading it', () => {
    const { stdout, killed } = runChild(printLoadError('/dev/zero'));
    expect(killed, 'loadConfig kept reading /dev/zero').toBe(false);
    expect(JSON.parse(stdout)).toMatchObject({
      code: 'CONFIG_NOT_FOUND',
      issue: { code: 'CONFIG_NOT_A_FILE', message: expect.stringContaining('a character device') },
    });
  });

  it('a watched config replaced by a FIFO is reported, and the watcher does not freeze', () => {
    const path = join(directory, 'watched.yaml');
    const fifo = join(directory, 'watched.fifo');
    writeFileSync(
      path,
      `version: 1\ngateways:\n  local: { type: openai-compatible, baseURL: "http://127.0.0.1:1/v1" }\nmodels:\n  fast: local:x\n`,
    );
    execFileSync('mkfifo', [fifo]);
    const { stdout, killed } = runChild(`
import { renameSync } from 'node:fs';
const router = { config: () => undefined, reload: () => { throw new Error('must not reload'); } };
const errors = [];
const watcher = watchConfig(${JSON.stringify(path)}, {
  router, env: {}, onError: ({ error }) => errors.push(error.issues[0]),
});
renameSync(${JSON.stringify(fifo)}, ${JSON.stringify(path)});
const result = watcher.check();
watcher.close();
console.log(JSON.stringify({ result, errors }));
`);
    expect(killed, 'the watcher blocked on the FIFO').toBe(false);
    const printed = JSON.parse(stdout) as { result: string; errors: { code: string }[] };
    expect(printed.result).toBe('invalid');
    expect(printed.errors.map((issue) => issue.code)).toEqual(['CONFIG_NOT_A_FILE']);
  });
});

describe('default limits fit a real large config', () => {
  it("1,000 aliases in config.example.yaml's style load with the default limits", () => {
    const path = join(directory, 'large.yaml');
    const text = largeConfig(1000);
    writeFileSync(path, text);
    // Larger than the old 32 KiB default many times over.
    expect(text.length).toBeGreaterThan(500_000);
    const table = loadConfig(path, { env: largeConfigEnv });
    expect(Object.keys(table.aliases)).toHaveLength(1000);
    expect(table.aliases['support-999']?.targets).toEqual(['gpt-mini-or-999', 'llama-groq-0']);
  });

  it('a large config that leans on anchors (one retry policy for 1,000 aliases) loads', () => {
    const aliases = Array.from(
      { length: 1000 },
      (_, index) => `  a${index}: { targets: [u], retry: *standard, timeout: 20s }`,
    );
    const text = `version: 1\ngateways:\n  g: { type: openai-compatible, baseURL: "http://127.0.0.1:1/v1" }\nupstreams:\n  u: { gateway: g, model: m }\ndefaults:\n  retry: &standard { attempts: 3, initialDelay: 100ms, maxDelay: 2.5s }\nmodels:\n${aliases.join('\n')}\n`;
    const path = join(directory, 'anchors.yaml');
    writeFileSync(path, text);
    expect(Object.keys(loadConfig(path, { env: {} }).aliases)).toHaveLength(1000);
  });
});
