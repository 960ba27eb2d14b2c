/**
 * One command line for every command: each command that reads a config runs with all the
 * common options (`--config`, `--env-file`, `--allow-missing-env`, `--max-size`) and its help
 * lists them; `help <command>` is `<command> --help`; a mistake on the command line is one
 * line with the closest option, exit 2. And `emulate` follows the config: a keyless gateway
 * (a local server such as Ollama) is served without a key, through `chat` over real HTTP.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatAttempts } from '../../src/cli/format-attempts.ts';
import { paintFor } from '../../src/cli/output.ts';
import { runCli } from '../../src/cli/run-cli.ts';
import { captureIo } from '../helpers/cli-io.ts';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-command-line-'));
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** Cloudflare (for routes) whose token is unset, and a keyless local gateway. */
const config = write(
  'config.yaml',
  `version: 1
gateways:
  edge:
    type: cloudflare
    accountId: \${CLOUDFLARE_ACCOUNT_ID}
    gatewayId: \${CLOUDFLARE_GATEWAY_ID}
    auth: { token: "\${CLOUDFLARE_AIG_TOKEN}", keys: stored }
  local:
    type: openai-compatible
    baseURL: \${LOCAL_URL:-http://127.0.0.1:11434/v1}
upstreams:
  llama: { gateway: edge, model: groq/llama-3.3-70b-versatile }
  small: { gateway: local, model: llama3.2 }
models:
  fast: { targets: [llama, small] }
  local: small
`,
);
const envFile = write('ci.env', 'CLOUDFLARE_ACCOUNT_ID=acct\nCLOUDFLARE_GATEWAY_ID=gw\n');
const common = [
  ...['--config', config],
  ...['--env-file', envFile],
  '--allow-missing-env',
  ...['--max-size', '100000'],
];
const commonNames = ['--config', '--env-file', '--allow-missing-env', '--max-size', '--help'];
const configCommands = ['validate', 'plan', 'chat', 'emulate', 'serve', 'routes', 'types'];

async function run(argv: readonly string[], signal?: AbortSignal) {
  const { io, out } = captureIo({});
  const code = await runCli({ argv, io, ...(signal === undefined ? {} : { signal }) });
  return { code, ...out };
}

/** Runs a command that serves until stopped; stops it once `ready` matches its output. */
async function runUntil(argv: readonly string[], ready: RegExp) {
  const controller = new AbortController();
  const { io, out } = captureIo({});
  const done = runCli({ argv, io, signal: controller.signal });
  for (let waited = 0; !ready.test(out.stdout) && waited < 20_000; waited += 20)
    await new Promise((resolve) => setTimeout(resolve, 20));
  return { out, stop: () => controller.abort(), done };
}

describe('the common options', () => {
  it.each(configCommands)('%s --help lists them, and so does help <command>', async (command) => {
    const viaFlag = await run([command, '--help']);
    expect(viaFlag.code).toBe(0);
    for (const name of commonNames) expect(viaFlag.stdout).toContain(name);
    const viaHelp = await run(['help', command]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
  });

  it('the overview lists them and --version', async () => {
    const overview = await run(['--help']);
    for (const name of [...commonNames, '--version']) expect(overview.stdout).toContain(name);
  });

  it('validate, plan, types and routes plan run with all of them, without a token', async () => {
    const validate = await run(['validate', ...common]);
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain('CLOUDFLARE_AIG_TOKEN');
    expect((await run(['plan', 'fast', ...common])).code).toBe(0);
    const types = await run(['types', '--out', '-', ...common]);
    expect(types.code).toBe(0);
    expect(types.stdout).toContain('"fast"');
    const routes = await run(['routes', 'plan', 'fast', ...common]);
    expect(routes.code, routes.stderr).toBe(0);
    expect(routes.stdout).toContain('route "fast"');
  });

  it('serve starts with all of them and stops on the signal', async () => {
    const serving = await runUntil(['serve', '--port', '0', ...common], /listening on/);
    expect(serving.out.stdout).toContain('models: fast, local');
    serving.stop();
    expect(await serving.done).toBe(0);
  });

  it('a keyless gateway is served keyless under emulate; chat runs with all of them', async () => {
    const emulating = await runUntil(
      ['emulate', '--port', '0', '--quiet', ...common],
      /gateway local .*set baseURL: (\S+)/,
    );
    try {
      const baseURL = /gateway local .*set baseURL: (\S+)/.exec(emulating.out.stdout)?.[1];
      expect(baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      const chat = await run([
        'chat',
        'local',
        'Hello',
        '--no-stream',
        ...common,
        '--env-file',
        write('local.env', `LOCAL_URL=${baseURL}\n`),
      ]);
      expect(chat.stderr).toContain('served by small');
      expect(chat.stdout).toBe('Echo from llama3.2: Hello\n');
      expect(chat.code).toBe(0);
    } finally {
      emulating.stop();
      expect(await emulating.done).toBe(0);
    }
  });
});

describe('usage errors', () => {
  it.each([
    [['validate', '--jsn'], 'unknown option --jsn for validate (did you mean "--json"?)'],
    [['plan', 'fast', '--allow-missing-envs'], 'did you mean "--allow-missing-env"?'],
    [['serve', '--prot', '4000'], 'did you mean "--port"?'],
    [['routes', 'plan', 'fast', '--env-fle', 'x'], 'did you mean "--env-file"?'],
    [['emulate', '--fualt', '{}'], 'did you mean "--fault"?'],
    [['types', '--uot', 'x'], 'did you mean "--out"?'],
    [['chat', 'fast', 'hi', '--sytem', 'x'], 'did you mean "--system"?'],
    [['valdate'], 'unknown command "valdate" (did you mean "validate"?)'],
    [['plan', 'fast', '--config'], '--config needs a value: --config <file>'],
    [['plan', 'fast', '--config', '--json'], '--config needs a value'],
    [['validate', '--json=yes'], '--json takes no value'],
    [['serve', 'extra'], 'serve takes no arguments (got "extra")'],
    [['validate', '--env-file', join(dir, 'nope.env')], 'nope.env: no such file'],
  ])('%j is one line, exit 2', async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('--allow-missing-env placeholders', () => {
  it('take the shape their field needs: a redis:// URL for health.url, a URL for baseURL', async () => {
    const file = write(
      'redis.yaml',
      `version: 1
gateways:
  local: { type: openai-compatible, baseURL: "\${LOCAL_BASE_URL}", apiKey: "\${LOCAL_KEY}" }
models:
  fast: local:llama3.2
health:
  store: \${HEALTH_STORE}
  url: \${REDIS_URL}
  prefix: myapp
`,
    );
    const result = await run(['validate', file, '--allow-missing-env']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const name of ['LOCAL_BASE_URL', 'LOCAL_KEY', 'HEALTH_STORE', 'REDIS_URL'])
      expect(result.stdout).toContain(name);
  });
});

describe('messages a newcomer meets', () => {
  it('an upstream called as a model names the aliases that use it', async () => {
    const result = await run(['plan', 'small', ...common]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      '"small" is an upstream, not an alias; aliases that use it: fast, local. Call one of them, or the upstream\'s model directly as "local:llama3.2".',
    );
  });

  it.each([
    ['  fast: [a, b\n', 3, '"[" is never closed: end the list with "]"'],
    ['  fast: { targets: [local:a]\n', 3, '"{" is never closed: end the map with "}"'],
  ])(
    'an unclosed bracket at the end of the file is reported where it opens: %j',
    async (last, line, message) => {
      const file = write('unclosed.yaml', `version: 1\nmodels:\n${last}`);
      const result = await run(['validate', file]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`unclosed.yaml:${line}:9 YAML_SYNTAX ${message}`);
      expect(result.stderr).not.toContain('not aligned');
    },
  );
});

describe('the attempt table', () => {
  it('stays aligned with long upstream names', () => {
    const attempt = {
      gateway: 'edge',
      model: 'm',
      targetIndex: 0,
      attempt: 1,
      waitMs: 0,
      durationMs: 12,
    };
    const text = formatAttempts({
      attempts: [
        {
          ...attempt,
          upstream: 'a-very-long-upstream-name-on-cloudflare',
          status: 503,
          errorClass: 'server',
          decision: 'fallback',
        },
        { ...attempt, upstream: 'short', decision: 'success', targetIndex: 1 },
      ],
      paint: paintFor({ stream: { write: () => true }, env: {} }),
    });
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const gatewayColumns = lines.map((line) =>
      line.indexOf(line.includes('#') ? 'gateway' : 'edge'),
    );
    expect(new Set(gatewayColumns).size).toBe(1);
  });
});

describe('emulate without "--"', () => {
  it('says where the command goes', async () => {
    const result = await run(['emulate', 'npm', 'test']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'emulate runs a command only after "--": switchyard emulate -- npm test',
    );
  });
});
