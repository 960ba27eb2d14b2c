/**
 * Without an explicit `timeout.attempt`, every target of a chain is reachable and no answer is
 * cut short by a per-try share: a target hands over after its share of what is left.
 * `validate` (not only `plan`) warns when a set limit makes a target unreachable, or a share is
 * too short for a long non-streamed answer.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPlanWarnings } from '../../src/cli/format-plan.ts';
import { runCli } from '../../src/cli/run-cli.ts';
import { shareAttemptMs } from '../../src/config/attempt-share.ts';
import { defaultRetryPolicy } from '../../src/config/builtin-defaults.ts';
import { createRouter, parseConfig } from '../../src/index.ts';

/** The README quick start, with literal values. */
const quickStart = (alias: string) => `version: 1
gateways:
  edge:
    type: cloudflare
    accountId: acct
    gatewayId: gw
    auth: { token: t, keys: stored }
  openrouter: { type: openrouter, apiKey: k }
upstreams:
  llama: { gateway: edge, model: groq/llama-3.3-70b-versatile }
  mini: { gateway: openrouter, model: openai/gpt-4o-mini }
models:
  fast: ${alias}
`;

function planOf(text: string, alias = 'fast') {
  return createRouter(parseConfig(text, { env: {} }), { env: {}, health: false }).resolve(alias);
}

describe('the default attempt limit', () => {
  it('hands over between targets rather than split the deadline per try', () => {
    const plan = planOf(
      quickStart('{ targets: [llama, mini], retry: { attempts: 2 }, timeout: 2m }'),
    );
    // No attempt is cut short of the deadline by a fixed share; the router hands a target over
    // after its share of what is left (a minute each here, when the first one hangs).
    expect(plan.timeouts).toMatchObject({ totalMs: 120_000, attemptMs: 120_000, handOver: true });
    expect(findPlanWarnings(plan)).toEqual([]);
  });

  it('keeps the whole deadline for one target, and a limit that is set', () => {
    expect(planOf(quickStart('llama')).timeouts.attemptMs).toBe(60_000);
    const set = planOf(
      quickStart('{ targets: [llama, mini], timeout: { total: 20s, attempt: 15s } }'),
    );
    expect(set.timeouts.attemptMs).toBe(15_000);
    expect(set.timeouts.handOver).toBeUndefined();
    expect(findPlanWarnings(set).map((warning) => warning.target)).toEqual([1]);
  });

  it('still splits the deadline per try for the model elements of a dynamic route', () => {
    for (const targets of [2, 3, 5, 16])
      for (const attempts of [1, 2, 3, 5])
        for (const totalMs of [1000, 20_000, 60_000, 600_000]) {
          const retry = { ...defaultRetryPolicy, attempts };
          const attemptMs = shareAttemptMs({ totalMs, retry, targets });
          let waits = 0;
          for (let index = 1; index < attempts; index += 1)
            waits += Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** (index - 1));
          const lastStarts = (targets - 1) * (attempts * attemptMs + waits);
          if (attemptMs !== totalMs) expect(lastStarts).toBeLessThan(totalMs);
        }
  });
});

describe('switchyard validate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-share-'));

  async function validate(text: string, flags: string[] = []) {
    const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, text);
    let stdout = '';
    let stderr = '';
    const code = await runCli({
      argv: ['validate', file, ...flags],
      io: {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text) },
        env: {},
      },
    });
    return { code, stdout, stderr };
  }

  it('warns, with exit 0, when an alias can never reach a target', async () => {
    const result = await validate(
      quickStart('{ targets: [llama, mini], timeout: { total: 20s, attempt: 15s } }'),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('is valid');
    expect(result.stdout).toContain(
      'warning: alias "fast": target 2 (mini) is never reached when earlier targets time out',
    );
    const json = await validate(
      quickStart('{ targets: [llama, mini], timeout: { total: 20s, attempt: 15s } }'),
      ['--json'],
    );
    expect(JSON.parse(json.stdout).warnings).toEqual([
      expect.objectContaining({ alias: 'fast', target: 1 }),
    ]);
  });

  it('says nothing more for the quick start', async () => {
    const result = await validate(
      quickStart('{ targets: [llama, mini], retry: { attempts: 2 }, timeout: 2m }'),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('warning');
  });

  it('warns when a share of the deadline would cut off a long non-streamed answer', async () => {
    const result = await validate(
      quickStart('{ targets: [llama, mini], retry: { attempts: 2 }, timeout: 20s }'),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'warning: alias "fast": target 1 (llama) hands over after 10s without an answer (its share of the 20s deadline over 2 targets)',
    );
  });
});
