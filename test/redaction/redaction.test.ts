/**
 * Redaction proven: sentinel secrets in every credential field (apiKey, auth.token,
 * auth.keys.*, headers; through `${VAR}` and written literally) never appear in anything a user
 * or a log pipeline can see: errors (`message`, `stack`, `cause`, `util.inspect`, JSON), hook
 * state objects, attempt logs, `router.resolve()`, `router.config()`, config errors, CLI output
 * (`validate`, `plan`, `chat`, `emulate`), or the `openai` SDK's own debug logging.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.ts';
import { startEmulator } from '../../src/emulator/index.ts';
import { createRouter, parseConfig } from '../../src/index.ts';
import {
  type ExerciseResult,
  exercise,
  leaks,
  render,
  sentinelConfig,
  sentinelEmulatorOptions,
  sentinelEnv,
  sentinels,
} from './exercise.ts';

const debugChild = fileURLToPath(new URL('./fixtures/debug-log-child.ts', import.meta.url));

describe('a router with sentinel secrets in every credential field', () => {
  let result: ExerciseResult;
  beforeAll(async () => {
    result = await exercise();
  });

  it('really sent every sentinel to its gateway (so finding none elsewhere means something)', () => {
    expect(leaks(result.wire).sort()).toEqual(Object.keys(sentinels).sort());
  });

  it('went through successes and every kind of failure', () => {
    expect(result.outcomes).toEqual({
      'all targets 503': 'ALL_TARGETS_FAILED',
      'rejected key (401)': 'ALL_TARGETS_FAILED',
      'connection reset': 'ALL_TARGETS_FAILED',
      'stream cut': 'STREAM_INTERRUPTED',
      'stream error event': 'STREAM_INTERRUPTED',
      'caller abort': 'ABORTED',
      deadline: 'DEADLINE_EXCEEDED',
      redirect: 'ALL_TARGETS_FAILED',
      'unknown alias': 'UNKNOWN_ALIAS',
      'unknown gateway in a direct name': 'UNKNOWN_ALIAS',
    });
    const labels = new Set(result.artefacts.map((artefact) => artefact.label.split(' ')[0]));
    for (const kind of ['error', 'hook', 'route', 'resolve', 'config()', 'chunk', 'completion']) {
      expect(labels, kind).toContain(kind);
    }
    const hooks = new Set(
      result.artefacts
        .filter((artefact) => artefact.label.startsWith('hook'))
        .map((artefact) => artefact.label),
    );
    expect([...hooks].sort()).toEqual([
      'hook onAttempt',
      'hook onFailure',
      'hook onFallback',
      'hook onRetry',
      'hook onSuccess',
    ]);
  });

  it('shows none of them in errors, hooks, attempt logs, plans or the config object', () => {
    const leaked = result.artefacts
      .map((artefact) => ({ label: artefact.label, leaks: leaks(artefact.text) }))
      .filter((entry) => entry.leaks.length > 0);
    expect(leaked).toEqual([]);
  });

  it('shows [redacted] where a plan has a secret header', () => {
    const plan = result.artefacts.find((artefact) => artefact.label === 'resolve cf');
    expect(plan?.text).toContain("'cf-aig-authorization': '[redacted]'");
    expect(plan?.text).toContain("'x-tenant': '[redacted]'");
  });
});

describe("the openai SDK's debug logging (OPENAI_LOG=debug)", () => {
  it('logs requests with every secret blanked, custom secret headers included', async () => {
    const child = spawn(process.execPath, [debugChild], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '', OPENAI_LOG: 'debug' },
    });
    let output = '';
    child.stdout.on('data', (data: Buffer) => {
      output += data.toString();
    });
    child.stderr.on('data', (data: Buffer) => {
      output += data.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, output.slice(-2000)).toBe(0);
    // The logging was on: request details with headers were printed.
    expect(output).toContain('sending request');
    expect(output).toContain("'x-tenant': '[redacted]'");
    expect(output).toContain("'x-proxy-pass': '[redacted]'");
    expect(output).toContain('=== outcomes');
    const lines = output.split('\n').filter((line) => leaks(line).length > 0);
    expect(lines).toEqual([]);
  }, 180_000);
});

describe('config errors', () => {
  const secret = sentinels.localKey;
  const gateway = (body: string) =>
    `version: 1\ngateways:\n  g:\n${body
      .split('\n')
      .map((line) => `    ${line}`)
      .join('\n')}\nupstreams:\n  u: { gateway: g, model: openai/m }\nmodels:\n  a: u\n`;
  const local = `type: openai-compatible\nbaseURL: http://127.0.0.1:9/v1`;
  const cloudflare = 'type: cloudflare\naccountId: a\ngatewayId: b';
  const cases: Record<string, string> = {
    'unknown key beside a secret': gateway(`${local}\napiKey: ${secret}\napikey2: x`),
    'unclosed quote in a secret': gateway(`${local}\napiKey: "${secret}`),
    'duplicate secret key': gateway(`${local}\napiKey: ${secret}\napiKey: ${secret}-2`),
    'secret over the length limit': gateway(`${local}\napiKey: ${secret}${'x'.repeat(5000)}`),
    'keys as a list': gateway(`${cloudflare}\nauth: { token: ${secret}, keys: [${secret}] }`),
    'no key for the provider': gateway(
      `${cloudflare}\nauth: { token: ${secret}, keys: { groq: ${secret} } }`,
    ),
    'misspelled stored': gateway(`${cloudflare}\nauth: { token: ${secret}, keys: storedd }`),
    'bad header name': gateway(`${local}\nheaders: { "bad name": ${secret} }`),
    'header value as a list': gateway(`${local}\nheaders: { x-a: [${secret}] }`),
    'malformed ${ in a secret': gateway(`${local}\napiKey: "${secret}\${oops"`),
    'missing variable beside a secret': gateway(`${local}\napiKey: "${secret}\${NOT_SET}"`),
    'key in the URL query': gateway(
      `type: openai-compatible\nbaseURL: "http://127.0.0.1:9/v1?key=${secret}"`,
    ),
    'key in the URL userinfo': gateway(
      `type: openai-compatible\nbaseURL: "http://user:${secret}@127.0.0.1:9/v1"`,
    ),
    'token on a gateway without one': gateway(`${local}\ntoken: ${secret}`),
    'tab indentation': gateway(`type: openai-compatible\n\tapiKey: ${secret}`),
    'custom tag': gateway(`${local}\napiKey: !secret ${secret}`),
    'anchor reused in a header': gateway(
      `${local}\napiKey: &k ${secret}\nheaders: { x-a: *k, x-b: 1 }`,
    ),
    'secrets from env, then a schema error': `${sentinelConfig}\nunknownTopLevel: 1\n`,
  };
  it.each(Object.entries(cases))('%s: a ConfigError without the secret', (_name, text) => {
    let thrown: unknown;
    try {
      parseConfig(text, { file: 'secret.yaml', env: sentinelEnv('http://127.0.0.1:9') });
    } catch (error) {
      thrown = error;
    }
    expect((thrown as Error | undefined)?.name).toBe('ConfigError');
    expect(leaks(render(thrown))).toEqual([]);
  });
});

describe('CLI output', () => {
  let directory: string;
  let file: string;
  let broken: string;
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'switchyard-redaction-'));
    file = join(directory, 'config.yaml');
    broken = join(directory, 'broken.yaml');
    writeFileSync(file, sentinelConfig);
    writeFileSync(broken, sentinelConfig.replace('retry: { attempts: 2,', 'retry: { atempts: 2,'));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  async function cli(argv: string[], env: Record<string, string>, signal?: AbortSignal) {
    let stdout = '';
    let stderr = '';
    const code = await runCli({
      argv,
      io: {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text) },
        env: { ...env, NO_COLOR: '1' },
      },
      ...(signal === undefined ? {} : { signal }),
    });
    return { code, stdout, stderr, all: `${stdout}\n${stderr}` };
  }

  it('validate, plan, chat and emulate print no secret', async () => {
    const emulator = await startEmulator(sentinelEmulatorOptions());
    try {
      const env = sentinelEnv(emulator.url);
      const runs = {
        validate: await cli(['validate', file], env),
        'validate --json': await cli(['validate', file, '--json'], env),
        'validate (broken)': await cli(['validate', broken], env),
        'validate (broken) --json': await cli(['validate', broken, '--json'], env),
        'plan chain': await cli(['plan', 'chain', '--config', file], env),
        'plan cf --json': await cli(['plan', 'cf', '--config', file, '--json'], env),
        'chat chain': await cli(['chat', 'chain', 'hello', '--config', file], env),
        'chat rejected': await cli(['chat', 'rejected', 'hello', '--config', file], env),
      };
      expect(runs.validate.code).toBe(0);
      expect(runs['validate (broken)'].code).toBe(1);
      expect(runs['plan chain'].code).toBe(0);
      expect(runs['plan chain'].stdout).toContain('[redacted]');
      expect(runs['chat chain'].code).toBe(0);
      expect(runs['chat chain'].stdout).toContain('Echo from openai/gpt-4o-mini: hello');
      expect(runs['chat rejected'].code).toBe(1);

      // `emulate --config` checks the config's Cloudflare tokens: serve one call, then stop.
      const controller = new AbortController();
      const emulate = cli(['emulate', '--port', '0', '--config', file], env, controller.signal);
      await new Promise((resolve) => setTimeout(resolve, 300));
      controller.abort();
      const emulated = await emulate;
      expect(emulated.code).toBe(0);

      const leaked = Object.entries({ ...runs, emulate: emulated })
        .map(([name, run]) => ({ name, leaks: leaks(run.all) }))
        .filter((entry) => entry.leaks.length > 0);
      expect(leaked).toEqual([]);
    } finally {
      await emulator.close();
    }
  });
});

describe('a gateway that echoes the key back', () => {
  // A gateway or proxy may echo the credential in its error body ("Incorrect API key provided:
  // sk-..."). The router knows every secret it sent (`ClientSetup.secrets`) and blanks them out
  // of the relayed error, the attempt log and hook states (src/internal/redact.ts).
  it('keeps the echoed secret out of errors and hooks', async () => {
    const emulator = await startEmulator();
    const seen: unknown[] = [];
    const router = createRouter(
      parseConfig(
        `version: 1\ngateways:\n  g: { type: openai-compatible, baseURL: "${emulator.url}/v1", apiKey: ${sentinels.localKey} }\nmodels:\n  a: { targets: ["g:m"], retry: { attempts: 1 } }\n`,
        { env: {} },
      ),
      { onAttempt: (state) => seen.push(state), onFailure: (state) => seen.push(state) },
    );
    emulator.inject({
      fault: {
        type: 'status',
        status: 401,
        body: {
          error: {
            message: `Incorrect API key provided: ${sentinels.localKey}`,
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        },
      },
    });
    let thrown: unknown;
    try {
      await router.chat.completions.create({
        model: 'a',
        messages: [{ role: 'user', content: 'x' }],
      });
    } catch (error) {
      thrown = error;
    } finally {
      await router.close();
      await emulator.close();
    }
    expect((thrown as Error).message).toContain('401');
    expect(leaks((thrown as Error).message)).toEqual([]);
    expect(leaks(render(seen))).toEqual([]);
  });
});
