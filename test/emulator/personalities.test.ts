/**
 * The emulator imitates each gateway's failures, not one idea of a gateway: OpenRouter's numeric
 * codes and its mid-stream error chunk, Vercel's error types, Cloudflare's gateway envelope, a
 * 200 carrying an error, a body cut after the headers, SSE keep-alive comments. Each is checked
 * on the wire and through the router (real `openai` SDK, real HTTP), which must classify it the
 * way it classifies the real gateway's answer.
 */
import { describe, expect, it } from 'vitest';
import type { Fault } from '../../src/emulator/index.ts';
import { AllTargetsFailedError, type AttemptRecord } from '../../src/errors.ts';
import { routerFromYaml, startTestEmulator, user } from '../helpers/gateway-harness.ts';

type Kind = 'cloudflare' | 'openrouter' | 'vercel' | 'openai';

async function chain(
  kind: Kind,
  fault: Fault,
  alias = 'retry: { attempts: 2, initialDelay: 1ms }',
) {
  const emulator = await startTestEmulator({ allowMissingApiKey: true });
  emulator.inject({ match: { model: 'openai/primary' }, fault });
  const gateway = {
    cloudflare: `{ type: cloudflare, accountId: acct, gatewayId: gw, baseURL: "${emulator.url}", auth: { keys: { openai: k } } }`,
    openrouter: `{ type: openrouter, apiKey: k, baseURL: "${emulator.url}/api/v1" }`,
    vercel: `{ type: vercel, apiKey: k, baseURL: "${emulator.url}/vercel/v1" }`,
    openai: `{ type: openai-compatible, apiKey: k, baseURL: "${emulator.url}/v1" }`,
  }[kind];
  const router = routerFromYaml(
    [
      'version: 1',
      'gateways:',
      `  gw: ${gateway}`,
      'upstreams:',
      '  primary: { gateway: gw, model: openai/primary }',
      '  fallback: { gateway: gw, model: openai/fallback }',
      'models:',
      '  chain:',
      '    targets: [primary, fallback]',
      `    ${alias}`,
    ].join('\n'),
    { configEnv: {}, health: false },
  );
  return { emulator, router };
}

async function firstAttempt(options: { kind: Kind; fault: Fault; stream?: boolean }) {
  const { emulator, router } = await chain(options.kind, options.fault);
  const outcome = await (options.stream === true
    ? router.chat.completions
        .create({ model: 'chain', messages: user('hi'), stream: true })
        .withRoute()
    : router.chat.completions.create({ model: 'chain', messages: user('hi') }).withRoute()
  ).catch((error: unknown) => error);
  const attempts: readonly AttemptRecord[] =
    outcome instanceof AllTargetsFailedError
      ? outcome.attempts
      : (outcome as { route: { attempts: readonly AttemptRecord[] } }).route.attempts;
  return { emulator, attempt: attempts[0], attempts };
}

async function rawBody(url: string, body: unknown): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
    body: JSON.stringify(body),
  });
  return response.text();
}

describe('error bodies per gateway', () => {
  it("OpenRouter: a numeric code and metadata; a 402 moves to the next target as 'payment'", async () => {
    const { emulator, attempt } = await firstAttempt({
      kind: 'openrouter',
      fault: { type: 'status', status: 402 },
    });
    expect(attempt).toMatchObject({ status: 402, errorClass: 'payment', decision: 'fallback' });
    emulator.inject({ fault: { type: 'status', status: 402 } });
    const body = JSON.parse(
      await rawBody(`${emulator.url}/api/v1/chat/completions`, { model: 'x', messages: [] }),
    );
    expect(body).toMatchObject({ error: { code: 402, metadata: { provider_name: null } } });
  });

  it("Vercel: an error type; insufficient_funds is 'payment'", async () => {
    const { emulator, attempt } = await firstAttempt({
      kind: 'vercel',
      fault: { type: 'status', status: 402 },
    });
    expect(attempt).toMatchObject({ status: 402, errorClass: 'payment' });
    emulator.inject({ fault: { type: 'status', status: 402 } });
    const body = JSON.parse(
      await rawBody(`${emulator.url}/vercel/v1/chat/completions`, { model: 'x', messages: [] }),
    );
    expect(body).toEqual({ error: { message: expect.any(String), type: 'insufficient_funds' } });
  });

  it.each([
    [2041, 429, 'payment'],
    [2001, 400, 'gateway'],
    [2003, 429, 'rate_limit'],
  ] as const)(
    'Cloudflare gateway code %i (HTTP %i): the AiGatewayError envelope, class %s',
    async (code, status, errorClass) => {
      const { attempt } = await firstAttempt({
        kind: 'cloudflare',
        fault: { type: 'status', status, code },
      });
      expect(attempt).toMatchObject({ status, errorClass });
    },
  );
});

describe('failures after the status line', () => {
  it('error-200: a 200 carrying an error envelope is a server error, retried', async () => {
    const { attempts } = await firstAttempt({
      kind: 'openrouter',
      fault: { type: 'error-200', code: 502, message: 'Provider disconnected' },
    });
    expect(attempts.map((entry) => [entry.upstream, entry.status, entry.errorClass])).toEqual([
      ['primary', 200, 'server'],
      ['primary', 200, 'server'],
      ['fallback', 200, undefined],
    ]);
  });

  it('body-cut: half the JSON, then the connection is cut: network', async () => {
    const { emulator, attempt } = await firstAttempt({
      kind: 'openai',
      fault: { type: 'body-cut' },
    });
    expect(attempt).toMatchObject({ errorClass: 'network', decision: 'retry' });
    expect(emulator.requests[0]?.outcome).toBe('cut');
  });

  it("OpenRouter's mid-stream error chunk (finish_reason error) before content: server, passed on", async () => {
    const { emulator, attempt, attempts } = await firstAttempt({
      kind: 'openrouter',
      fault: { type: 'stream-error', afterChunks: 0, message: 'Provider disconnected' },
      stream: true,
    });
    expect(attempt).toMatchObject({ errorClass: 'server' });
    expect(attempts.at(-1)).toMatchObject({ upstream: 'fallback', decision: 'success' });
    emulator.inject({ fault: { type: 'stream-error', afterChunks: 0 } });
    const text = await rawBody(`${emulator.url}/api/v1/chat/completions`, {
      model: 'x',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    expect(text).toContain('"finish_reason":"error"');
    // The current shape: a numeric code, the kind in metadata.error_type
    // (https://openrouter.ai/docs/api/reference/errors-and-debugging).
    expect(text).toContain(
      '"error":{"code":502,"message":"The server had an error while processing your request.","metadata":{"error_type":"server_error"}}',
    );
  });

  it("OpenRouter's mid-stream error with error_type context_length_exceeded: context_length, fallback", async () => {
    const { attempt } = await firstAttempt({
      kind: 'openrouter',
      fault: { type: 'stream-error', afterChunks: 0, code: 'context_length_exceeded' },
      stream: true,
    });
    expect(attempt).toMatchObject({ errorClass: 'context_length', decision: 'fallback' });
  });

  it("Vercel's stream error carries the provider's error as a JSON string", async () => {
    const { attempt } = await firstAttempt({
      kind: 'vercel',
      fault: { type: 'stream-error', afterChunks: 0, code: 'context_length_exceeded' },
      stream: true,
    });
    expect(attempt).toMatchObject({ errorClass: 'context_length', decision: 'fallback' });
  });

  it('finish-error after content ends the stream as an interruption, not a clean end', async () => {
    const { router } = await chain('openai', { type: 'finish-error', afterChunks: 2 });
    const stream = await router.chat.completions.create({
      model: 'chain',
      messages: user('one two three'),
      stream: true,
    });
    const failure = await (async () => {
      for await (const _ of stream) {
        // read to the end
      }
    })().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'STREAM_INTERRUPTED' });
  });
});

describe('keep-alive comments', () => {
  it('OpenRouter sends ": OPENROUTER PROCESSING" while slow; the router does not take it for idle', async () => {
    const { emulator, router } = await chain(
      'openrouter',
      { type: 'keep-alive', ms: 2500, everyMs: 200 },
      'timeout: { idle: 1s }',
    );
    const { data, route } = await router.chat.completions
      .create({ model: 'chain', messages: user('hi'), stream: true })
      .withRoute();
    let text = '';
    for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
    expect(route.upstream).toBe('primary');
    expect(text).toContain('openai/primary');
    expect(emulator.requests).toHaveLength(1);
    emulator.inject({ fault: { type: 'keep-alive', ms: 50, everyMs: 20 } });
    const raw = await rawBody(`${emulator.url}/api/v1/chat/completions`, {
      model: 'x',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    expect(raw.startsWith(': OPENROUTER PROCESSING\n\n')).toBe(true);
  });
});
