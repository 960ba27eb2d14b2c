/**
 * `--max-size`: a config over the default size limit is refused before parsing, with how to
 * raise the limit; the flag raises it; a bad value is a usage error (exit 2).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.ts';
import { defaultYamlLimits } from '../../src/config/yaml-source.ts';
import { captureIo } from '../helpers/cli-io.ts';

const capture = () => captureIo({ LOCAL_KEY: 'sk-local-0001' });

describe('--max-size', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-max-size-'));
  const file = join(dir, 'config.yaml');
  // A valid config made large by comments: only its size is in question.
  const config = `version: 1
gateways:
  local: { type: openai-compatible, baseURL: "http://127.0.0.1:9/v1", apiKey: "\${LOCAL_KEY}" }
models:
  fast: local:m
${`# ${'x'.repeat(1000)}\n`.repeat(1050)}`;
  writeFileSync(file, config);

  it('a config over the default limit is refused, saying how to raise it', async () => {
    expect(config.length).toBeGreaterThan(defaultYamlLimits.maxSize);
    const { io, out } = capture();
    expect(await runCli({ argv: ['validate', file], io })).toBe(1);
    const printed = out.stdout + out.stderr;
    expect(printed).toContain('CONFIG_TOO_LARGE');
    expect(printed).toContain('--max-size');
  });

  it('raises the limit for validate and plan', async () => {
    const size = String(config.length + 1);
    const validate = capture();
    expect(await runCli({ argv: ['validate', file, '--max-size', size], io: validate.io })).toBe(0);
    const plan = capture();
    expect(
      await runCli({ argv: ['plan', 'fast', '--config', file, '--max-size', size], io: plan.io }),
    ).toBe(0);
    expect(plan.out.stdout).toContain('local');
  });

  it.each(['0', '-5', '12kb', '1e6', ''])('refuses --max-size %j (exit 2)', async (value) => {
    const { io, out } = capture();
    expect(await runCli({ argv: ['validate', file, `--max-size=${value}`], io })).toBe(2);
    expect(out.stderr).toContain('--max-size must be a whole number of bytes');
  });
});
