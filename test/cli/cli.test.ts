/**
 * The built CLI (`dist/cli.js`) run as a process: validate, plan, chat against the emulator,
 * emulate with an injected fault, schema, help and exit codes.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));

type Run = { code: number; stdout: string; stderr: string };

/** Runs the built CLI to completion. */
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

function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

let emulator: Emulator;
let valid: string;

beforeAll(async () => {
  if (!existsSync(cli)) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  emulator = await startEmulator({
    cloudflare: { gateways: { 'acct/gw': { token: 'cli-token', storedKeys: ['openai'] } } },
  });
  valid = writeConfig(
    'valid.yaml',
    [
      'version: 1',
      'gateways:',
      `  edge: { type: cloudflare, accountId: acct, gatewayId: gw, baseURL: "${emulator.url}", auth: { token: "\${CF_TOKEN}", keys: stored } }`,
      `  local: { type: openai-compatible, baseURL: "${emulator.url}/v1", apiKey: local-key }`,
      'upstreams:',
      '  primary: { gateway: edge, model: openai/gpt-4o-mini }',
      '  backup: { gateway: local, model: llama3 }',
      'models:',
      '  fast: { targets: [primary, backup], retry: { attempts: 2, initialDelay: 10ms }, timeout: { total: 20s, attempt: 15s } }',
      '',
    ].join('\n'),
  );
}, 180_000);

afterAll(async () => {
  await emulator.close();
});

describe('validate', () => {
  it('exits 0 on a valid config and says what it holds', async () => {
    const result = await run(['validate', valid], { CF_TOKEN: 'cli-token' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('is valid: 2 gateways, 2 upstreams, 1 alias');
  });

  it('exits 1 with every problem as file:line:column, the line and a caret', async () => {
    const broken = writeConfig(
      'broken.yaml',
      [
        'version: 1',
        'gateways:',
        '  edge: { type: openrouter, apiKey: "${MISSING_KEY}" }',
        'models:',
        '  fast: { targets: [nope], retyr: {} }',
        '',
      ].join('\n'),
    );
    const result = await run(['validate', broken]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${broken}:3:37 ENV_VAR_MISSING`);
    expect(result.stderr).toContain(`${broken}:5:28 SCHEMA_UNKNOWN_KEY`);
    expect(result.stderr).toContain('did you mean "retry"?');
    expect(result.stderr).toMatch(
      /\n {2}5 \| {3}fast: \{ targets: \[nope\], retyr: \{\} \}\n {4}\| {28}\^/,
    );
  });

  it('--json prints machine-readable issues', async () => {
    const result = await run(['validate', '--json', valid]);
    expect(result.code).toBe(1);
    const output = JSON.parse(result.stdout) as {
      ok: boolean;
      issues: { code: string; line: number }[];
    };
    expect(output.ok).toBe(false);
    expect(output.issues).toEqual([expect.objectContaining({ code: 'ENV_VAR_MISSING', line: 3 })]);
  });

  it('a missing file is a plain-words error, exit 1', async () => {
    const result = await run(['validate', join(dir, 'nothing.yaml')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('CONFIG_NOT_FOUND');
    expect(result.stderr).toContain('no such file');
  });

  it('uses $SWITCHYARD_CONFIG when no file is given', async () => {
    const result = await run(['validate'], { SWITCHYARD_CONFIG: valid, CF_TOKEN: 'x' });
    expect(result.code).toBe(0);
  });
});

describe('plan', () => {
  it('shows the chain, auth modes, policy, the worst case, and never a secret', async () => {
    const result = await run(['plan', 'fast', '--config', valid], {
      CF_TOKEN: 'sentinel-secret-token',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1. primary  edge (cloudflare, stored-keys)');
    expect(result.stdout).toContain('2. backup  local (openai-compatible, bearer)');
    expect(result.stdout).toContain(`url      ${emulator.url}/v1/acct/gw/compat/chat/completions`);
    expect(result.stdout).toContain('worst case 4 requests, 20s');
    expect(result.stdout).toContain('warning: target 2 (backup) is never reached');
    expect(result.stdout + result.stderr).not.toContain('sentinel-secret-token');
    expect(result.stdout + result.stderr).not.toContain('local-key');
  });

  it('--json gives the plan and warnings', async () => {
    const result = await run(['plan', 'fast', '-c', valid, '--json'], { CF_TOKEN: 'x' });
    const output = JSON.parse(result.stdout) as {
      plan: { worstCase: { requests: number } };
      warnings: unknown[];
    };
    expect(output.plan.worstCase.requests).toBe(4);
    expect(output.warnings).toHaveLength(1);
  });

  it('an unknown alias exits 1 with a suggestion', async () => {
    const result = await run(['plan', 'fsat', '-c', valid], { CF_TOKEN: 'x' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Did you mean "fast"?');
  });
});

describe('chat', () => {
  it('streams the answer, then one line saying which upstream served it', async () => {
    const before = emulator.requests.length;
    const result = await run(['chat', 'fast', 'hello', 'from', 'the', 'cli', '-c', valid], {
      CF_TOKEN: 'cli-token',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Echo from openai/gpt-4o-mini: hello from the cli\n');
    expect(result.stderr).toMatch(
      /served by primary \(edge → openai\/gpt-4o-mini\) after 1 attempt in \d+\.\d\d s/,
    );
    expect(emulator.requests.slice(before)).toHaveLength(1);
  });

  it('falls back when the primary fails, and says so', async () => {
    const rule = emulator.inject({
      match: { model: 'openai/gpt-4o-mini' },
      fault: { type: 'status', status: 503 },
    });
    try {
      const result = await run(['chat', 'fast', 'are you there', '-c', valid, '--no-stream'], {
        CF_TOKEN: 'cli-token',
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('Echo from llama3: are you there\n');
      expect(result.stderr).toContain('served by backup (local → llama3) after 3 attempts');
    } finally {
      rule.remove();
    }
  });

  it('a refused gateway token falls back, and the token never shows', async () => {
    const result = await run(['chat', 'fast', 'hi', '-c', valid], {
      CF_TOKEN: 'wrong-token-sentinel',
    });
    // The Cloudflare gateway refuses the token (401); the fallback answers.
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('served by backup');
    expect(result.stdout + result.stderr).not.toContain('wrong-token-sentinel');
  });

  it('a call that fails everywhere exits 1 and says what happened', async () => {
    const rule = emulator.inject({ fault: { type: 'status', status: 503 } });
    try {
      const result = await run(['chat', 'fast', 'hi', '-c', valid], { CF_TOKEN: 'cli-token' });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'fast: all targets failed after 4 request(s) to 2 upstream(s)',
      );
      // The attempt log, as the demo prints it: a header, then one row per request.
      expect(result.stderr).toMatch(
        /#\s+upstream\s+gateway\s+status\s+class\s+decision\s+wait\s+time/,
      );
      const rows = result.stderr
        .split('\n')
        .filter((line) => /^\s+\d+\s+\S+\s+\S+\s+503\s/.test(line));
      expect(rows).toHaveLength(4);
      expect(rows.at(-1)).toMatch(/backup\s+local\s+503\s+server\s+fail/);
      expect(result.stdout).toBe('');
    } finally {
      rule.remove();
    }
  });

  it('bad usage exits 2', async () => {
    const result = await run(['chat', 'fast']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('chat needs an alias and a prompt');
  });
});

describe('emulate', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('serves the config gateways with an injected fault until stopped', async () => {
    const fault = JSON.stringify({
      match: { model: 'openai/gpt-4o-mini' },
      times: 1,
      fault: { type: 'status', status: 429 },
    });
    child = spawn(process.execPath, [cli, 'emulate', '--port', '0', '--fault', fault], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '' },
    });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      child?.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child?.on('error', reject);
      setTimeout(() => reject(new Error(`no address in: ${output}`)), 10_000);
    });
    const call = () =>
      fetch(`${url}/v1/acct/gw/compat/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
        body: JSON.stringify({
          model: 'openai/gpt-4o-mini',
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
    expect((await call()).status).toBe(429);
    expect((await call()).status).toBe(200);
    const exited = new Promise<number | null>((resolve) =>
      child?.on('exit', (code) => resolve(code)),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('1 fault rule installed');
    expect(output).toContain('→ 429 [fault: status]');
    expect(output).toContain('→ 200');
  });
});

describe('emulate refuses fault rules that can never match', () => {
  it('names the rule, why it cannot match and what to write instead; nothing starts', async () => {
    const rule = (match: Record<string, unknown>, type = 'status') =>
      JSON.stringify({ match, fault: type === 'status' ? { type, status: 503 } : { type } });
    const result = await run(
      [
        'emulate',
        '--port',
        '0',
        '--config',
        valid,
        '--fault',
        rule({ gateway: 'edge' }),
        '--fault',
        rule({ model: 'primary' }),
        '--fault',
        rule({ gateway: 'other/gw' }),
        '--fault',
        rule({ stream: false }, 'stream-cut'),
        '--fault',
        rule({ gateway: 'acct/gw', model: 'openai/gpt-4o-mini' }),
      ],
      { CF_TOKEN: 'cli-token' },
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout).not.toContain('listening on');
    expect(result.stderr).toContain(
      'fault rule 1: match.gateway "edge" is a gateway name in the config, which requests do not carry; write "acct/gw"',
    );
    expect(result.stderr).toContain(
      'fault rule 2: match.model "primary" is an upstream name; requests carry the model string ("openai/gpt-4o-mini")',
    );
    expect(result.stderr).toContain(
      'fault rule 3: match.gateway "other/gw" is not a Cloudflare gateway of the config (it has: acct/gw)',
    );
    expect(result.stderr).toContain('fault rule 4: fault "stream-cut" plays inside a stream');
    expect(result.stderr).not.toContain('fault rule 5');
  });
});

describe('schema and help', () => {
  it('schema prints the JSON Schema', async () => {
    const result = await run(['schema']);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout) as {
      $schema: string;
      properties: Record<string, unknown>;
    };
    expect(schema.$schema).toContain('draft-07');
    expect(Object.keys(schema.properties)).toContain('models');
  });

  it.each(['validate', 'plan', 'chat', 'emulate', 'schema'])(
    '%s --help exits 0 with its usage',
    async (command) => {
      const result = await run([command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: switchyard ${command}`);
    },
  );

  it('an unknown command exits 2 and shows the usage; no colour when not a TTY', async () => {
    const result = await run(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"');
    expect(result.stderr).not.toContain('\u001b[');
  });
});
