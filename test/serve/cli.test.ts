/**
 * `switchyard serve` as a process (the built `dist/cli.js`): the README's quick start against
 * the emulator, graceful shutdown on SIGTERM with a stream in flight, the bind rule (any address
 * but loopback needs client keys), and hot reload with `--watch`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { serveConfigYaml, upstreamKey } from './helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'switchyard-serve-'));

let emulator: Emulator;
const children: ChildProcess[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: [upstreamKey] });
});
afterAll(async () => {
  await emulator?.close();
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  emulator.clearFaults();
  emulator.clearRequests();
});

type Serve = {
  child: ChildProcess;
  url: string;
  output: () => string;
  exit: Promise<number>;
};

/** Starts `switchyard serve --port 0`; resolves once it prints its address. */
function startServe(args: string[], env: Record<string, string> = {}): Promise<Serve> {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', ...args], {
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '', UPSTREAM_KEY: upstreamKey, ...env },
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exit = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return new Promise((resolve, reject) => {
    const look = () => {
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match?.[1] !== undefined) {
        child.stdout?.off('data', look);
        resolve({ child, url: match[1], output: () => output, exit });
      }
    };
    child.stdout?.on('data', look);
    exit.then((code) => reject(new Error(`serve exited ${code} before listening:\n${output}`)));
  });
}

function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('switchyard serve', () => {
  it("serves the README's config on 127.0.0.1, then stops on SIGTERM", async () => {
    // The README's serve quick start, with the emulator on a free port instead of 8787.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Any language'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(yaml).toContain('http://127.0.0.1:8787/v1');
    const open = await startEmulator();
    onTestFinished(() => open.close());
    const config = writeConfig('config.yaml', yaml.replace('http://127.0.0.1:8787', open.url));
    const serve = await startServe(['-c', config]);
    expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${serve.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'quick start' }] }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as OpenAI.ChatCompletion).choices[0]?.message.content).toBe(
      'Echo from primary-model: quick start',
    );
    serve.child.kill('SIGTERM');
    expect(await serve.exit).toBe(0);
    expect(serve.output()).toMatch(
      /POST \/v1\/chat\/completions fast → 200 via primary \(1 attempt\)/,
    );
    expect(serve.output()).toContain('stopped');
    expect(serve.output()).not.toContain(upstreamKey);
  });

  it('SIGTERM with a stream in flight: no new connections, the stream finishes whole', async () => {
    const config = writeConfig('graceful.yaml', serveConfigYaml(emulator.url));
    const serve = await startServe(['-c', config, '--shutdown-timeout', '20s']);
    // The primary pauses after its first chunk; the shutdown starts during the pause.
    emulator.inject({
      match: { model: 'primary-model' },
      times: 1,
      fault: { type: 'stream-stall', afterChunks: 1, ms: 1_500 },
    });
    const client = new OpenAI({ baseURL: `${serve.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'fast',
      stream: true,
      messages: [{ role: 'user', content: 'finish me' }],
    });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    let text = first.done === true ? '' : (first.value.choices[0]?.delta.content ?? '');
    serve.child.kill('SIGTERM');
    await expect.poll(() => serve.output()).toMatch(/stopping: 1 request in flight/);
    await expect(fetch(`${serve.url}/healthz`)).rejects.toThrow();
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next())
      text += next.value.choices[0]?.delta.content ?? '';
    expect(text).toBe('Echo from primary-model: finish me');
    expect(await serve.exit).toBe(0);
    expect(serve.output()).toMatch(/stopped\n/);
  });

  it('refuses a non-loopback address without client keys', async () => {
    const config = writeConfig('bind.yaml', serveConfigYaml(emulator.url));
    const child = spawn(process.execPath, [cli, 'serve', '-c', config, '--host', '127.0.0.2'], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', UPSTREAM_KEY: upstreamKey },
    });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/binding 127\.0\.0\.2 .*SWITCHYARD_SERVE_KEYS/);
  });

  it('with client keys it binds another address and checks the key', async () => {
    const config = writeConfig('keys.yaml', serveConfigYaml(emulator.url));
    const serve = await startServe(['-c', config, '--host', '127.0.0.2', '--quiet'], {
      SWITCHYARD_SERVE_KEYS: 'first-key, second-key',
    });
    expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.2:/);
    const ask = (key: string) =>
      new OpenAI({ baseURL: `${serve.url}/v1`, apiKey: key, maxRetries: 0 }).chat.completions
        .create({ model: 'fast', messages: [{ role: 'user', content: 'k' }] })
        .then(
          () => 200,
          (error: { status?: number }) => error.status,
        );
    expect(await ask('second-key')).toBe(200);
    expect(await ask('wrong-key')).toBe(401);
    expect(serve.output()).not.toContain('second-key');
    serve.child.kill('SIGINT');
    expect(await serve.exit).toBe(0);
  });

  it('serve.keys in the config: binds another address and checks the key; keys stay secret', async () => {
    const config = writeConfig(
      'config-keys.yaml',
      `${serveConfigYaml(emulator.url)}serve:\n  keys: ["\${CLIENT_KEY}"]\n`,
    );
    const serve = await startServe(['-c', config, '--host', '127.0.0.2'], {
      CLIENT_KEY: 'config-client-key-7',
    });
    await expect.poll(() => serve.output()).toContain('client keys: 1 from serve.keys');
    const ask = (key: string) =>
      fetch(`${serve.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then(
        (response) => response.status,
      );
    expect(await ask('config-client-key-7')).toBe(200);
    expect(await ask('config-client-key-8')).toBe(401);
    serve.child.kill('SIGTERM');
    expect(await serve.exit).toBe(0);
    expect(serve.output()).not.toContain('config-client-key-7');
  });

  it('--watch reloads the aliases; a broken file keeps the old config', async () => {
    const config = writeConfig('watch.yaml', serveConfigYaml(emulator.url));
    const serve = await startServe(['-c', config, '--watch']);
    const models = async () =>
      (
        (await (await fetch(`${serve.url}/v1/models`)).json()) as { data: { id: string }[] }
      ).data.map((model) => model.id);
    expect(await models()).toEqual(['fast', 'embed']);
    writeFileSync(config, `${serveConfigYaml(emulator.url)}  extra: backup\n`);
    await expect.poll(models, { timeout: 10_000 }).toEqual(['fast', 'embed', 'extra']);
    writeFileSync(config, `${serveConfigYaml(emulator.url)}  broken: nothing-here\n`);
    await expect
      .poll(() => serve.output(), { timeout: 10_000 })
      .toMatch(/kept the previous config/);
    expect(await models()).toEqual(['fast', 'embed', 'extra']);
    serve.child.kill('SIGTERM');
    expect(await serve.exit).toBe(0);
  });
});
