/**
 * Hot reload: `watchConfig` swaps a changed config file into a live router atomically. Calls in
 * flight finish on their config, new calls use the new one, an invalid file keeps the old config
 * serving and is reported, unchanged content is a no-op, and health memory carries over for
 * upstreams that did not change. Real files in a temporary directory, real fs events, the real
 * SDK against the emulator.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type {
  ConfigReloadErrorState,
  ConfigReloadState,
  ConfigWatcher,
} from '../../src/config/watch-config.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import {
  type ConfigError,
  createRouter,
  loadConfig,
  type Router,
  type RouterOptions,
  watchConfig,
} from '../../src/index.ts';

const watchChild = fileURLToPath(new URL('./fixtures/watch-child.ts', import.meta.url));

let emulator: Emulator;
let directory: string;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  emulator = await startEmulator();
  directory = mkdtempSync(join(tmpdir(), 'switchyard-watch-'));
});
afterAll(async () => {
  await emulator?.close();
  rmSync(directory, { recursive: true, force: true });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  emulator.clearFaults();
  emulator.clearRequests();
});

/** A config whose alias `chat` goes to `models` in order (each its own upstream). */
function configText(models: readonly string[], extra = ''): string {
  return [
    'version: 1',
    'gateways:',
    `  local: { type: openai-compatible, baseURL: "${emulator.url}/v1", apiKey: "\${WATCH_KEY}" }`,
    'upstreams:',
    ...models.map((model) => `  ${model}: { gateway: local, model: ${model} }`),
    'models:',
    `  chat: { targets: [${models.join(', ')}], retry: { attempts: 1 } }`,
    extra,
  ].join('\n');
}

const env = { WATCH_KEY: 'sk-watch-secret' };

type Events = {
  reloads: ConfigReloadState[];
  errors: ConfigReloadErrorState[];
  /** Resolves with the next reload or error (or rejects after `ms`). */
  next(ms?: number): Promise<'reload' | 'error'>;
};

/** Writes `text`, loads it, builds a router and watches the file. */
function start(
  name: string,
  text: string,
  routerOptions: RouterOptions = {},
): { file: string; router: Router; watcher: ConfigWatcher; events: Events } {
  const file = join(directory, name);
  writeFileSync(file, text);
  const router = createRouter(loadConfig(file, { env }), routerOptions);
  let waiting: ((kind: 'reload' | 'error') => void) | undefined;
  const events: Events = {
    reloads: [],
    errors: [],
    next: (ms = 3000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no reload or error within ${ms} ms`)), ms);
        waiting = (kind) => {
          clearTimeout(timer);
          waiting = undefined;
          resolve(kind);
        };
      }),
  };
  const watcher = watchConfig(file, {
    router,
    env,
    debounceMs: 20,
    onReload: (state) => {
      events.reloads.push(state);
      waiting?.('reload');
    },
    onError: (state) => {
      events.errors.push(state);
      waiting?.('error');
    },
  });
  cleanups.push(
    () => router.close(),
    () => watcher.close(),
  );
  return { file, router, watcher, events };
}

const ask = (content = 'hi') => ({ model: 'chat', messages: [{ role: 'user' as const, content }] });

describe('watchConfig', () => {
  it('swaps a changed file in: calls in flight finish on their config, new calls use the new one', async () => {
    const { file, router, events } = start('swap.yaml', configText(['model-a']));
    emulator.inject({
      match: { model: 'model-a' },
      times: 1,
      fault: { type: 'delay', ms: 2500 },
    });
    const inFlight = router.chat.completions.create(ask('before')).withRoute();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const reloaded = events.next();
    writeFileSync(file, configText(['model-b']));
    expect(await reloaded).toBe('reload');
    const after = await router.chat.completions.create(ask('after')).withRoute();
    expect(after.data.choices[0]?.message.content).toBe('Echo from model-b: after');
    const before = await inFlight;
    expect(before.data.choices[0]?.message.content).toBe('Echo from model-a: before');
    expect(before.route.upstream).toBe('model-a');
    // The new call finished while the old one was still waiting on its delayed answer.
    const [first, second] = emulator.requests;
    expect([first?.model, second?.model]).toEqual(['model-a', 'model-b']);
    expect((second?.durationMs ?? 0) + (second?.time ?? 0)).toBeLessThan(
      (first?.time ?? 0) + (first?.durationMs ?? 0),
    );
    expect(events.reloads).toHaveLength(1);
    expect(events.reloads[0]?.file).toBe(file);
    expect(events.reloads[0]?.table).toBe(router.config());
    expect(Object.keys(events.reloads[0]?.previous.upstreams ?? {})).toEqual(['model-a']);
  });

  it('keeps the old config serving when the new file is invalid, and reports the ConfigError', async () => {
    const { file, router, events, watcher } = start('invalid.yaml', configText(['model-a']));
    const serving = router.config();
    let reported = events.next();
    writeFileSync(file, configText(['model-b']).replace('retry:', 'retyr:'));
    expect(await reported).toBe('error');
    const error: ConfigError | undefined = events.errors[0]?.error;
    expect(error?.name).toBe('ConfigError');
    expect(error?.code).toBe('CONFIG_INVALID');
    expect(error?.issues.map((issue) => issue.code)).toEqual(['SCHEMA_UNKNOWN_KEY']);
    expect(error?.message).toContain('invalid.yaml:');
    expect(error?.message).not.toContain(env.WATCH_KEY);
    expect(router.config()).toBe(serving);
    const still = await router.chat.completions.create(ask()).withRoute();
    expect(still.route.upstream).toBe('model-a');
    // The same broken text is not reported twice.
    expect(watcher.check()).toBe('unchanged');
    expect(events.errors).toHaveLength(1);
    // Fixing the file reloads it.
    reported = events.next();
    writeFileSync(file, configText(['model-b']));
    expect(await reported).toBe('reload');
    expect((await router.chat.completions.create(ask()).withRoute()).route.upstream).toBe(
      'model-b',
    );
  });

  it('reports a missing ${VAR} and a YAML syntax error the same way', async () => {
    const { file, router, events } = start('env.yaml', configText(['model-a']));
    const serving = router.config();
    let reported = events.next();
    writeFileSync(file, configText(['model-a']).replace('${WATCH_KEY}', '${NOT_SET_ANYWHERE}'));
    expect(await reported).toBe('error');
    expect(events.errors[0]?.error.issues.map((issue) => issue.code)).toEqual(['ENV_VAR_MISSING']);
    reported = events.next();
    writeFileSync(file, 'version: 1\ngateways: {\n');
    expect(await reported).toBe('error');
    expect(events.errors[1]?.error.issues[0]?.code).toBe('YAML_SYNTAX');
    expect(router.config()).toBe(serving);
  });

  it('does nothing when the content did not change', async () => {
    const text = configText(['model-a']);
    const { file, router, events, watcher } = start('same.yaml', text);
    const serving = router.config();
    writeFileSync(file, text);
    writeFileSync(file, text);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(watcher.check()).toBe('unchanged');
    expect(events.reloads).toEqual([]);
    expect(events.errors).toEqual([]);
    expect(router.config()).toBe(serving);
  });

  it('keeps health memory for upstreams that did not change, and starts afresh for changed ones', async () => {
    // `sick` fails; after three failures (the default threshold) it cools down and is skipped.
    const { file, router, events } = start('health.yaml', configText(['sick', 'fine']));
    emulator.inject({ match: { model: 'sick' }, fault: { type: 'status', status: 503 } });
    for (let index = 0; index < 3; index += 1) {
      const { route } = await router.chat.completions.create(ask()).withRoute();
      expect(route.attempts.map((attempt) => attempt.decision)).toEqual(['fallback', 'success']);
    }
    const skipped = async () =>
      (await router.chat.completions.create(ask()).withRoute()).route.attempts.map(
        (attempt) => attempt.decision,
      );
    expect(await skipped()).toEqual(['skipped', 'success']);

    // A reload that adds an alias but leaves `sick` as it was: still cooling down.
    let reloaded = events.next();
    writeFileSync(file, configText(['sick', 'fine'], '  other: fine'));
    expect(await reloaded).toBe('reload');
    expect(router.aliases()).toEqual(['chat', 'other']);
    expect(await skipped()).toEqual(['skipped', 'success']);

    // A reload that points `sick` at another model: its health starts afresh, so it is tried.
    reloaded = events.next();
    writeFileSync(
      file,
      configText(['sick', 'fine'], '  other: fine').replace(
        'sick: { gateway: local, model: sick }',
        'sick: { gateway: local, model: sick-v2 }',
      ),
    );
    expect(await reloaded).toBe('reload');
    const { route } = await router.chat.completions.create(ask()).withRoute();
    expect(route.upstream).toBe('sick');
    expect(route.upstreamModel).toBe('sick-v2');
  });

  it('sees atomic saves (rename over the file) and symlink swaps', async () => {
    const { file, router, events } = start('atomic.yaml', configText(['model-a']));
    let reloaded = events.next();
    const temporary = join(directory, '.atomic.yaml.tmp');
    writeFileSync(temporary, configText(['model-b']));
    renameSync(temporary, file);
    expect(await reloaded).toBe('reload');
    expect(router.resolve('chat').targets[0]?.model).toBe('model-b');

    // Kubernetes ConfigMap style: the file is a symlink whose target is swapped.
    const target1 = join(directory, 'linked-1.yaml');
    const target2 = join(directory, 'linked-2.yaml');
    writeFileSync(target1, configText(['model-c']));
    writeFileSync(target2, configText(['model-d']));
    const link = join(directory, 'linked.yaml');
    symlinkSync(target1, link);
    cleanups.push(() => {
      for (const path of [link, target1, target2]) rmSync(path, { force: true });
    });
    const linked = createRouter(loadConfig(link, { env }));
    const watcher = watchConfig(link, {
      router: linked,
      env,
      debounceMs: 20,
      onReload: () => resolveLinked?.(),
    });
    let resolveLinked: (() => void) | undefined;
    cleanups.push(
      () => watcher.close(),
      () => linked.close(),
    );
    reloaded = new Promise((resolve) => {
      resolveLinked = () => resolve('reload');
    });
    const swap = join(directory, 'linked.yaml.new');
    symlinkSync(target2, swap);
    renameSync(swap, link);
    expect(await reloaded).toBe('reload');
    expect(linked.resolve('chat').targets[0]?.model).toBe('model-d');
  });

  it('reports a deleted file and reloads it when it comes back', async () => {
    const { file, router, events } = start('deleted.yaml', configText(['model-a']));
    const serving = router.config();
    let reported = events.next();
    unlinkSync(file);
    expect(await reported).toBe('error');
    expect(events.errors[0]?.error.code).toBe('CONFIG_NOT_FOUND');
    expect(router.config()).toBe(serving);
    reported = events.next();
    writeFileSync(file, configText(['model-b']));
    expect(await reported).toBe('reload');
    expect(router.resolve('chat').targets[0]?.model).toBe('model-b');
  });

  it('stops on close() and on its signal, and when the router is closed', async () => {
    const { file, router, events, watcher } = start('close.yaml', configText(['model-a']));
    watcher.close();
    expect(watcher.closed).toBe(true);
    writeFileSync(file, configText(['model-b']));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(events.reloads).toEqual([]);
    expect(watcher.check()).toBe('closed');
    expect(router.resolve('chat').targets[0]?.model).toBe('model-a');

    const controller = new AbortController();
    const second = watchConfig(file, { router, env, signal: controller.signal });
    controller.abort();
    expect(second.closed).toBe(true);

    const third = watchConfig(file, { router, env });
    await router.close();
    writeFileSync(file, configText(['model-c']));
    expect(third.check()).toBe('closed');
    expect(third.closed).toBe(true);
  });

  it('emits a process warning when no onError is given', async () => {
    const file = join(directory, 'warning.yaml');
    writeFileSync(file, configText(['model-a']));
    const router = createRouter(loadConfig(file, { env }));
    const watcher = watchConfig(file, { router, env, debounceMs: 20 });
    cleanups.push(
      () => watcher.close(),
      () => router.close(),
    );
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    writeFileSync(file, 'version: 2\n');
    const warning = (await warned) as Error & { code?: string };
    expect(warning.code).toBe('SWITCHYARD_CONFIG_RELOAD');
    expect(warning.message).toContain('warning.yaml');
  });

  it('does not keep the process alive by itself (unless persistent)', async () => {
    const file = join(directory, 'alive.yaml');
    writeFileSync(file, configText(['model-a']));
    const run = (mode: string) =>
      new Promise<{ code: number | null; stdout: string; killed: boolean }>((resolve) => {
        const child = spawn(process.execPath, [watchChild, file, mode], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let stdout = '';
        let killed = false;
        let timer: ReturnType<typeof setTimeout> | undefined;
        child.stdout.on('data', (data: Buffer) => {
          stdout += data.toString();
          // Once it has returned, give it a second to exit on its own.
          timer ??= setTimeout(() => {
            killed = true;
            child.kill();
          }, 1000);
        });
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, killed });
        });
      });
    const [plain, persistent] = await Promise.all([run('default'), run('persistent')]);
    expect(plain).toEqual({ code: 0, stdout: 'watching\n', killed: false });
    expect(persistent).toMatchObject({ stdout: 'watching\n', killed: true });
  });
});
