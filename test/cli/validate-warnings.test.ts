/**
 * `switchyard validate` warns (without failing) about an alias that mixes targets that serve
 * the Responses API with targets that do not, in text and in `--json`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.ts';
import { captureIo } from '../helpers/cli-io.ts';

const capture = () => captureIo({ CF_TOKEN: 'tok' });

const config = `
version: 1
gateways:
  rest: { type: cloudflare, endpoint: rest, accountId: a, gatewayId: g, auth: { token: "\${CF_TOKEN}", keys: stored } }
  compat: { type: cloudflare, accountId: a, gatewayId: g, auth: { token: "\${CF_TOKEN}", keys: stored } }
upstreams:
  r: { gateway: rest, model: openai/gpt-4o-mini }
  c: { gateway: compat, model: openai/gpt-4o-mini }
models:
  mixed: { targets: [r, c] }
  clean: r
`;

describe('validate: Responses API warnings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-warn-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, config);
  const message =
    'mixes targets that serve the Responses API (r) with targets that do not: c (gateway "compat" uses Cloudflare\'s compat endpoint, which has no Responses API; set endpoint: rest on it). router.responses.create("mixed") is refused; chat completions work';

  it('prints the warning and still exits 0', async () => {
    const { io, out } = capture();
    expect(await runCli({ argv: ['validate', file], io })).toBe(0);
    expect(out.stdout).toContain(`warning: alias "mixed": ${message}`);
    expect(out.stdout).not.toContain('"clean"');
  });

  it('--json lists it under warnings', async () => {
    const { io, out } = capture();
    expect(await runCli({ argv: ['validate', file, '--json'], io })).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({
      ok: true,
      issues: [],
      warnings: [{ alias: 'mixed', message }],
    });
  });
});
