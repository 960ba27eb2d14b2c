/**
 * Shared by the redaction tests: sentinel secrets in every credential field of a config, and an
 * exercise that drives a router through successes and every kind of failure against the emulator,
 * collecting everything a user (or a log pipeline) could ever see: errors in every rendering,
 * hook state objects, attempt logs, plans, the config object. The tests grep it all for the
 * sentinels. Runs in-process, and in a child process with the SDK's debug logging on.
 */
import { inspect } from 'node:util';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../src/emulator/index.ts';
import { createRouter, parseConfig, type Router, type RouterOptions } from '../../src/index.ts';

/**
 * One sentinel per credential field. Each is unique and long enough that finding it (or its
 * distinctive core) anywhere means a leak.
 */
export const sentinels = Object.freeze({
  cfToken: 'SNTL-cf-gateway-token-4b1d9e',
  cfOpenaiKey: 'sk-SNTL-cf-openai-key-8c2f71',
  cfGroqKey: 'gsk_SNTL-cf-groq-key-1e9a44',
  cfStoredToken: 'SNTL-cf-stored-token-77ad02',
  vercelKey: 'vck_SNTL-vercel-key-3f60b8',
  openrouterKey: 'sk-or-SNTL-openrouter-key-5a13c9',
  localKey: 'sk-SNTL-local-literal-key-90e4d3',
  wrongKey: 'sk-SNTL-rejected-key-c4f8e1',
  tenantHeader: 'SNTL-tenant-header-value-2d7b55',
  proxyHeader: 'SNTL-proxy-pass-value-6e3a18',
});

/** The `${VAR}`s of the config (the literal `localKey` is written into the file itself). */
export function sentinelEnv(emulatorUrl: string): Record<string, string> {
  return {
    EMULATOR_URL: emulatorUrl,
    CF_TOKEN: sentinels.cfToken,
    CF_OPENAI_KEY: sentinels.cfOpenaiKey,
    CF_GROQ_KEY: sentinels.cfGroqKey,
    CF_STORED_TOKEN: sentinels.cfStoredToken,
    VERCEL_KEY: sentinels.vercelKey,
    OPENROUTER_KEY: sentinels.openrouterKey,
    WRONG_KEY: sentinels.wrongKey,
    TENANT: sentinels.tenantHeader,
    PROXY_PASS: sentinels.proxyHeader,
  };
}

/** Every credential field: apiKey, auth.token, auth.keys.*, headers; from env and written literally. */
export const sentinelConfig = `
version: 1
gateways:
  cf-keys:
    type: cloudflare
    accountId: acct
    gatewayId: authed
    baseURL: \${EMULATOR_URL}
    auth:
      token: \${CF_TOKEN}
      keys: { openai: "\${CF_OPENAI_KEY}", groq: "\${CF_GROQ_KEY}" }
    headers: { x-tenant: "\${TENANT}" }
  cf-stored:
    type: cloudflare
    accountId: acct
    gatewayId: byok
    baseURL: \${EMULATOR_URL}
    auth: { token: "\${CF_STORED_TOKEN}", keys: stored }
  vercel:
    type: vercel
    baseURL: \${EMULATOR_URL}/v1
    apiKey: \${VERCEL_KEY}
    headers: { x-proxy-pass: "\${PROXY_PASS}" }
  openrouter:
    type: openrouter
    baseURL: \${EMULATOR_URL}/api/v1
    apiKey: \${OPENROUTER_KEY}
  local:
    type: openai-compatible
    baseURL: \${EMULATOR_URL}/local/v1
    apiKey: ${sentinels.localKey}
  wrong:
    type: openai-compatible
    baseURL: \${EMULATOR_URL}/wrong/v1
    apiKey: \${WRONG_KEY}
upstreams:
  cf-openai: { gateway: cf-keys, model: openai/gpt-4o-mini }
  cf-groq: { gateway: cf-keys, model: groq/llama-3.3-70b }
  cf-stored-openai: { gateway: cf-stored, model: openai/gpt-4o-mini }
  vercel-sonnet: { gateway: vercel, model: anthropic/claude-sonnet-4.5 }
  openrouter-mini: { gateway: openrouter, model: openai/gpt-4o-mini }
  local-llama: { gateway: local, model: llama3.2 }
  rejected: { gateway: wrong, model: any-model }
models:
  chain:
    targets: [cf-openai, cf-groq, cf-stored-openai, vercel-sonnet, openrouter-mini, local-llama]
    retry: { attempts: 2, initialDelay: 1ms, maxDelay: 5ms }
    timeout: 10s
  cf: { targets: [cf-openai], retry: { attempts: 3, initialDelay: 1ms } }
  stored: cf-stored-openai
  local: local-llama
  rejected: rejected
defaults:
  timeout: 10s
`;

/** Emulator settings that accept exactly the sentinel credentials (and reject `wrongKey`). */
export function sentinelEmulatorOptions(): EmulatorOptions {
  return {
    cloudflare: {
      gateways: {
        'acct/authed': { token: sentinels.cfToken },
        'acct/byok': { token: sentinels.cfStoredToken, storedKeys: ['openai'] },
      },
      providerKeys: { openai: [sentinels.cfOpenaiKey], groq: [sentinels.cfGroqKey] },
    },
    apiKeys: [sentinels.vercelKey, sentinels.openrouterKey, sentinels.localKey],
  };
}

/** Something a user could see, rendered as text. */
export type Artefact = { label: string; text: string };

/** Every rendering of a value: util.inspect (hidden properties too), JSON, String. */
export function render(value: unknown): string {
  const parts: string[] = [];
  const attempt = (produce: () => string) => {
    try {
      parts.push(produce());
    } catch (error) {
      parts.push(`<render failed: ${String(error)}>`);
    }
  };
  attempt(() => inspect(value, { depth: Infinity, showHidden: true, getters: true }));
  attempt(() => JSON.stringify(value) ?? '');
  attempt(() => String(value));
  if (value instanceof Error) {
    for (
      let current: unknown = value, depth = 0;
      current instanceof Error && depth < 10;
      depth += 1
    ) {
      const error: Error = current;
      attempt(() => `${error.name}: ${error.message}\n${error.stack ?? ''}`);
      attempt(() =>
        JSON.stringify(
          Object.fromEntries(
            Object.getOwnPropertyNames(error).map((name) => [
              name,
              (error as unknown as Record<string, unknown>)[name],
            ]),
          ),
        ),
      );
      current = error.cause;
    }
  }
  return parts.join('\n');
}

/** What the exercise saw. */
export type ExerciseResult = {
  artefacts: Artefact[];
  /** Error codes (or names) of the calls that failed, by scenario; for the tests to check coverage. */
  outcomes: Record<string, string>;
  /** Every header the emulator received: proves the sentinels were really sent. */
  wire: string;
};

/**
 * Runs every scenario against a fresh emulator and returns what was observable. Uses
 * `process.env` for the SDK's own variables (so `OPENAI_LOG=debug` turns its logging on).
 */
export async function exercise(): Promise<ExerciseResult> {
  const emulator: Emulator = await startEmulator(sentinelEmulatorOptions());
  const artefacts: Artefact[] = [];
  const outcomes: Record<string, string> = {};
  let wire = '';
  const keep = (label: string, value: unknown) => artefacts.push({ label, text: render(value) });

  const hooks: RouterOptions = {
    onAttempt: (state) => keep('hook onAttempt', state),
    onRetry: (state) => keep('hook onRetry', state),
    onFallback: (state) => keep('hook onFallback', state),
    onSuccess: (state) => keep('hook onSuccess', state),
    onFailure: (state) => keep('hook onFailure', state),
  };
  const env = sentinelEnv(emulator.url);
  const table = parseConfig(sentinelConfig, { file: 'sentinel.yaml', env });
  const router: Router = createRouter(table, hooks);
  const ask = (model: string, content = 'hello') => ({
    model,
    messages: [{ role: 'user' as const, content }],
  });
  const failed = async (scenario: string, call: () => Promise<unknown>) => {
    try {
      await call();
      outcomes[scenario] = 'resolved';
    } catch (error) {
      outcomes[scenario] =
        typeof error === 'object' && error !== null && 'code' in error
          ? String((error as { code: unknown }).code)
          : error instanceof Error
            ? error.name
            : 'unknown';
      keep(`error ${scenario}`, error);
    }
  };

  try {
    // Successes on every gateway and auth mode, plain and streaming: route info, attempt logs.
    for (const alias of ['cf', 'stored', 'local', 'chain']) {
      const { data, route, response } = await router.chat.completions
        .create(ask(alias))
        .withResponse();
      keep(`route ${alias}`, route);
      keep(`completion ${alias}`, data);
      keep(`response headers ${alias}`, Object.fromEntries(response.headers));
      const stream = await router.chat.completions.create({ ...ask(alias), stream: true });
      for await (const chunk of stream) keep(`chunk ${alias}`, chunk);
    }
    for (const [index, target] of table.aliases['chain']?.targets.entries() ?? []) {
      // Each upstream of the chain once, through a direct `<gateway>:<model>` call.
      const upstream = table.upstreams[target];
      if (upstream === undefined) continue;
      const { route } = await router.chat.completions
        .create(ask(`${upstream.gateway}:${upstream.model}`, `direct ${index}`))
        .withRoute();
      keep(`route direct ${target}`, route);
    }
    const embedding = await router.embeddings.create({ model: 'local', input: 'vector' });
    keep('embeddings', embedding);

    // Failures: every class the router reports.
    emulator.inject({ fault: { type: 'status', status: 503 } });
    await failed('all targets 503', () => router.chat.completions.create(ask('chain')));
    emulator.clearFaults();
    await failed('rejected key (401)', () => router.chat.completions.create(ask('rejected')));
    emulator.inject({
      times: 2,
      fault: { type: 'status', status: 429, headers: { 'retry-after-ms': '5' } },
    });
    const retried = await router.chat.completions.create(ask('cf')).withRoute();
    keep('route after 429s', retried.route);
    emulator.clearFaults();
    emulator.inject({ fault: { type: 'reset' } });
    await failed('connection reset', () => router.chat.completions.create(ask('cf')));
    emulator.clearFaults();
    emulator.inject({ fault: { type: 'stream-cut', afterChunks: 2 } });
    await failed('stream cut', async () => {
      const stream = await router.chat.completions.create({ ...ask('cf'), stream: true });
      for await (const chunk of stream) keep('chunk before cut', chunk);
    });
    emulator.clearFaults();
    emulator.inject({ fault: { type: 'stream-error', afterChunks: 1, message: 'overloaded' } });
    await failed('stream error event', async () => {
      const stream = await router.chat.completions.create({ ...ask('local'), stream: true });
      for await (const _chunk of stream) {
        // Read to the error.
      }
    });
    emulator.clearFaults();
    emulator.inject({ fault: { type: 'delay', ms: 500 } });
    await failed('caller abort', () =>
      router.chat.completions.create(ask('cf'), { signal: AbortSignal.timeout(20) }),
    );
    await failed('deadline', () => router.chat.completions.create(ask('cf'), { timeout: 20 }));
    emulator.clearFaults();
    emulator.inject({
      fault: { type: 'redirect', status: 307, location: 'http://127.0.0.1:9/elsewhere' },
    });
    await failed('redirect', () => router.chat.completions.create(ask('chain')));
    emulator.clearFaults();
    await failed('unknown alias', () => router.chat.completions.create(ask('chian')));
    await failed('unknown gateway in a direct name', () =>
      router.chat.completions.create(ask('nowhere:model')),
    );

    // Plans and the config object.
    for (const model of [...router.aliases(), 'local:anything', 'cf-keys:openai/gpt-4o']) {
      keep(`resolve ${model}`, router.resolve(model));
    }
    keep('aliases', router.aliases());
    keep('config()', router.config());
    wire = JSON.stringify(emulator.requests.map((request) => request.headers));
  } finally {
    await router.close();
    await emulator.close();
  }
  return { artefacts, outcomes, wire };
}

/** The sentinels found in a text, by name. */
export function leaks(text: string): string[] {
  return Object.entries(sentinels)
    .filter(([, value]) => text.includes(value) || text.includes(core(value)))
    .map(([name]) => name);
}

/** The distinctive middle of a sentinel (catches a value shown with its prefix cut off). */
function core(value: string): string {
  return value.slice(value.indexOf('SNTL'));
}
