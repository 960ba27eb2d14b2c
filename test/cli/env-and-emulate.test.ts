/**
 * Checking a config in CI without its secrets (`--env-file`, `--allow-missing-env`), the hint a
 * missing variable gets, and `switchyard emulate -- <command>` pointing every gateway of the
 * config at the emulator. The built CLI runs as a process in a fresh directory, as in a user's
 * project: `./config.yaml`, a `.env` file, an app that calls `loadConfig()` with no argument.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'switchyard-first-hour-'));

type Run = { code: number; stdout: string; stderr: string };

function run(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The README quick start: Cloudflare stored keys, then OpenRouter. */
const config = `version: 1
gateways:
  edge:
    type: cloudflare
    accountId: \${CLOUDFLARE_ACCOUNT_ID}
    gatewayId: \${CLOUDFLARE_GATEWAY_ID}
    auth: { token: "\${CLOUDFLARE_AIG_TOKEN}", keys: stored }
  openrouter: { type: openrouter, apiKey: "\${OPENROUTER_API_KEY}" }
upstreams:
  llama: { gateway: edge, model: groq/llama-3.3-70b-versatile }
  mini: { gateway: openrouter, model: openai/gpt-4o-mini }
models:
  fast: { targets: [llama, mini], retry: { attempts: 2 }, timeout: 20s }
`;

beforeAll(() => {
  if (!existsSync(cli)) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  writeFileSync(join(dir, 'config.yaml'), config);
  writeFileSync(
    join(dir, 'ci.env'),
    '# dummy values for the emulator\nCLOUDFLARE_ACCOUNT_ID=acct\nCLOUDFLARE_GATEWAY_ID=gw\nCLOUDFLARE_AIG_TOKEN=ci-token\nOPENROUTER_API_KEY=ci-key\n',
  );
  const index = pathToFileURL(join(root, 'dist', 'index.js')).href;
  writeFileSync(
    join(dir, 'app.mjs'),
    `import { createRouter, loadConfig } from ${JSON.stringify(index)};
const router = createRouter(loadConfig());
const result = await router.chat.completions
  .create({ model: 'fast', messages: [{ role: 'user', content: 'Hello' }] })
  .withRoute();
console.log(JSON.stringify({ content: result.data.choices[0]?.message.content, upstream: result.route.upstream, url: router.resolve('fast').targets[0]?.url }));
await router.close();
process.exitCode = Number(process.env.APP_EXIT ?? 0);
`,
  );
}, 120_000);

describe('a config checked without its secrets', () => {
  it('fails on unset variables, with a hint that fits the field', async () => {
    const result = await run(['validate']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'gateways.edge.accountId: environment variable CLOUDFLARE_ACCOUNT_ID is not set; set it, or write ${CLOUDFLARE_ACCOUNT_ID:-default}',
    );
    // A credential takes no default: the hint does not suggest one.
    expect(result.stderr).toContain(
      'gateways.openrouter.apiKey: environment variable OPENROUTER_API_KEY is not set; set it (in the environment or an env file): a credential takes no default',
    );
    expect(result.stderr).not.toContain('${OPENROUTER_API_KEY:-default}');
    expect(result.stderr).toContain('--allow-missing-env');
  });

  it('--allow-missing-env checks the rest, lists the variables and exits 0', async () => {
    const result = await run(['validate', '--allow-missing-env']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('config.yaml is valid: 2 gateways, 2 upstreams, 1 alias');
    expect(result.stdout).toContain(
      'CLOUDFLARE_AIG_TOKEN  config.yaml:7:20 gateways.edge.auth.token',
    );
    const json = JSON.parse((await run(['validate', '--allow-missing-env', '--json'])).stdout);
    expect(json.ok).toBe(true);
    expect(json.missingEnv.map((variable: { name: string }) => variable.name)).toEqual([
      'CLOUDFLARE_ACCOUNT_ID',
      'CLOUDFLARE_GATEWAY_ID',
      'CLOUDFLARE_AIG_TOKEN',
      'OPENROUTER_API_KEY',
    ]);
  });

  it('--allow-missing-env still reports every other problem', async () => {
    writeFileSync(
      join(dir, 'typo.yaml'),
      config.replace('targets: [llama, mini]', 'targets: [llama, mni]'),
    );
    const result = await run(['validate', 'typo.yaml', '--allow-missing-env']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('UNKNOWN_REFERENCE');
    expect(result.stderr).not.toContain('ENV_VAR_MISSING');
  });

  it('--env-file supplies the variables; the environment wins over the file', async () => {
    expect((await run(['validate', '--env-file', 'ci.env'])).code).toBe(0);
    const plan = await run(['plan', 'fast', '--env-file', 'ci.env'], {
      CLOUDFLARE_ACCOUNT_ID: 'from-environment',
    });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('/v1/from-environment/gw/compat/chat/completions');
    // Node itself looks for --env-file among a script's arguments and stops at a missing file
    // with exit 9 (https://github.com/nodejs/node/issues/54232); in process, the CLI says so.
    const missing = await run(['validate', '--env-file', 'nothing.env']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('nothing.env');
  });
});

describe('switchyard emulate -- <command>', () => {
  it('runs the command with every gateway pointed at the emulator, reading ./config.yaml', async () => {
    const result = await run([
      'emulate',
      '--env-file',
      'ci.env',
      '--',
      process.execPath,
      'app.mjs',
    ]);
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout.trim());
    expect(output).toMatchObject({
      content: 'Echo from groq/llama-3.3-70b-versatile: Hello',
      upstream: 'llama',
    });
    expect(output.url).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/v1\/acct\/gw\/compat\/chat\/completions$/,
    );
    // The emulator speaks on stderr, so the command's stdout stays its own.
    expect(result.stderr).toContain('POST /v1/acct/gw/compat/chat/completions');
  });

  it('enforces the config read from ./config.yaml, and exits with the command exit code', async () => {
    // The emulator read ./config.yaml with the token of ci.env; the app runs with another one:
    // Cloudflare refuses it (401) and the OpenRouter fallback serves the call.
    const result = await run([
      'emulate',
      '--env-file',
      'ci.env',
      '--',
      'env',
      'CLOUDFLARE_AIG_TOKEN=not-the-configured-token',
      'APP_EXIT=3',
      process.execPath,
      'app.mjs',
    ]);
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout.trim()).upstream).toBe('mini');
    expect(result.stderr).toMatch(/POST \/v1\/acct\/gw\/compat\/chat\/completions \S+ → 401/);
  });

  it('needs a command after --', async () => {
    const result = await run(['emulate', '--']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('emulate -- needs a command');
  });
});

describe('SWITCHYARD_EMULATOR_URL', () => {
  it('is refused unless it is a loopback http:// address', () => {
    const env = {
      CLOUDFLARE_ACCOUNT_ID: 'a',
      CLOUDFLARE_GATEWAY_ID: 'g',
      CLOUDFLARE_AIG_TOKEN: 't',
      OPENROUTER_API_KEY: 'k',
    };
    const table = parseConfig(config, {
      env: { ...env, SWITCHYARD_EMULATOR_URL: 'http://localhost:9999' },
    });
    expect(table.gateways['edge']?.baseURL).toBe('http://localhost:9999/v1/a/g/compat');
    expect(table.gateways['openrouter']?.baseURL).toBe('http://localhost:9999/api/v1');
    for (const url of ['https://evil.example', 'http://10.0.0.1:8787', 'not a url']) {
      expect(() => parseConfig(config, { env: { ...env, SWITCHYARD_EMULATOR_URL: url } })).toThrow(
        ConfigError,
      );
    }
  });
});
