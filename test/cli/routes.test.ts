/**
 * The whole dynamic-route flow, offline against the emulator: `switchyard routes plan` prints
 * the route an alias compiles to (checked against the schema subset written from Cloudflare's
 * API reference), `diff` and `push` talk to the emulator's routes API, a call to the alias goes
 * out as `model: dynamic/<route>` in one round trip, the emulator runs the route (falling back
 * at the edge when a model element fails), and the router falls back client-side when the edge
 * itself fails.
 *
 * Facts: the routes API and element shapes,
 * https://developers.cloudflare.com/api/resources/ai_gateway/subresources/dynamic_routing/;
 * calling a route as `dynamic/<name>` with `cf-aig-gateway-id` on the REST API and the
 * `cf-aig-model` / `cf-aig-provider` response headers,
 * https://developers.cloudflare.com/ai-gateway/features/dynamic-routing/usage/.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRouteShape, compileAliasRoute } from '../../src/cli/routes-command.ts';
import { runCli } from '../../src/cli/run-cli.ts';
import { ConfigError } from '../../src/errors.ts';
import { captureIo } from '../helpers/cli-io.ts';
import {
  compileYaml,
  routerFromYaml,
  startTestEmulator,
  user,
} from '../helpers/gateway-harness.ts';

const token = 'cf-api-token-ROUTES1';
const env = { CLOUDFLARE_API_TOKEN: token, OPENROUTER_KEY: 'sk-or-ROUTES2' };

function configYaml(url: string, order: 'claude-first' | 'gpt-first' = 'claude-first') {
  const edge = order === 'claude-first' ? 'claude, gpt' : 'gpt, claude';
  return `
version: 1
gateways:
  edge:
    type: cloudflare
    endpoint: rest
    accountId: acct
    gatewayId: prod
    baseURL: ${url}
    auth: { token: "\${CLOUDFLARE_API_TOKEN}", keys: stored }
  openrouter: { type: openrouter, apiKey: "\${OPENROUTER_KEY}", baseURL: "${url}/api/v1" }
upstreams:
  claude: { gateway: edge, model: anthropic/claude-sonnet-4-5 }
  gpt: { gateway: edge, model: openai/gpt-4o-mini }
  or-gpt: { gateway: openrouter, model: openai/gpt-4o-mini }
models:
  support:
    targets: [${edge}, or-gpt]
    dynamicRoute: support
    retry: { attempts: 2, initialDelay: 1ms, maxDelay: 5ms }
    timeout: { total: 10s, attempt: 2s }
  plain: { targets: [claude, or-gpt] }
  elsewhere: { targets: [or-gpt, claude] }
  interleaved: { targets: [claude, or-gpt, gpt] }
`;
}

const capture = () => captureIo(env);

async function cli(args: string[]) {
  const { out, io } = capture();
  const code = await runCli({ argv: args, io });
  return { code, ...out };
}

const expectedElements = (first: string, second: string) => [
  { id: 'start', type: 'start', outputs: { next: { elementId: 'model-1' } } },
  {
    id: 'model-1',
    type: 'model',
    properties: { ...split(first), retries: 1, timeout: 2000 },
    outputs: { success: { elementId: 'end' }, fallback: { elementId: 'model-2' } },
  },
  {
    id: 'model-2',
    type: 'model',
    properties: { ...split(second), retries: 1, timeout: 2000 },
    outputs: { success: { elementId: 'end' }, fallback: { elementId: 'end' } },
  },
  { id: 'end', type: 'end', outputs: {} },
];

function split(model: string) {
  const slash = model.indexOf('/');
  return { provider: model.slice(0, slash), model: model.slice(slash + 1) };
}

describe('aliases compiled into Cloudflare dynamic routes', () => {
  it('plan → push → call through the deployed route → edge fallback → client-side fallback', async () => {
    const emulator = await startTestEmulator({
      cloudflare: {
        apiTokens: [token],
        gateways: { 'acct/prod': { storedKeys: ['openai', 'anthropic'], unifiedBilling: false } },
      },
      apiKeys: [env.OPENROUTER_KEY],
    });
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-routes-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, configYaml(emulator.url));
    const router = routerFromYaml(configYaml(emulator.url), { configEnv: env });

    // The alias is served by its route, with the other gateway behind it.
    expect(
      router.resolve('support').targets.map((target) => [target.upstream, target.model]),
    ).toEqual([
      ['edge:dynamic/support', 'dynamic/support'],
      ['or-gpt', 'openai/gpt-4o-mini'],
    ]);

    // plan: the route JSON, valid against the schema subset; the client-side part named.
    const plan = await cli(['routes', 'plan', 'support', '-c', file, '--json']);
    expect(plan.code).toBe(0);
    const planned = JSON.parse(plan.stdout) as {
      route: { name: string; elements: unknown[] };
      clientSide: string[];
    };
    expect(planned.route).toEqual({
      name: 'support',
      elements: expectedElements('anthropic/claude-sonnet-4-5', 'openai/gpt-4o-mini'),
    });
    expect(planned.clientSide).toEqual(['or-gpt']);
    expect(checkRouteShape(planned.route as never)).toEqual([]);

    // diff before anything is deployed; push is a dry run by default.
    expect(
      (await cli(['routes', 'diff', 'support', '-c', file, '--api-url', emulator.url])).code,
    ).toBe(1);
    const dry = await cli(['routes', 'push', 'support', '-c', file, '--api-url', emulator.url]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('dry run: would create route "support"');
    expect(dry.stdout).toContain('stays client-side, behind the route: or-gpt');
    const stillMissing = await cli([
      'routes',
      'diff',
      'support',
      '-c',
      file,
      '--api-url',
      emulator.url,
    ]);
    expect(stillMissing.stdout).toContain('route "support" is not on gateway "edge" (acct/prod)');

    // push --apply creates and deploys; diff is then clean.
    const pushed = await cli([
      'routes',
      'push',
      'support',
      '-c',
      file,
      '--api-url',
      emulator.url,
      '--apply',
    ]);
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toMatch(
      /created route "support" \(route_\d+\), version ver_\d+ deployed/,
    );
    const clean = await cli(['routes', 'diff', 'support', '-c', file, '--api-url', emulator.url]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('is up to date');
    expect(emulator.requests).toHaveLength(0); // the routes API is not inference

    // A call: one round trip, model dynamic/support, served by the route's first model.
    const first = await router.chat.completions
      .create({ model: 'support', messages: user('hello route') })
      .withRoute();
    expect(first.data.choices[0]?.message.content).toBe(
      'Echo from anthropic/claude-sonnet-4-5: hello route',
    );
    expect(first.route.upstream).toBe('edge:dynamic/support');
    expect(first.route.gatewayIds['cf-aig-model']).toBe('claude-sonnet-4-5');
    expect(first.route.gatewayIds['cf-aig-provider']).toBe('anthropic');
    expect(
      emulator.requests.map((request) => [
        request.path,
        request.model,
        request.headers['cf-aig-gateway-id'],
      ]),
    ).toEqual([['/client/v4/accounts/acct/ai/v1/chat/completions', 'dynamic/support', 'prod']]);

    // Edge fallback: the first model fails twice (1 + retries), the route falls back inside
    // the gateway; still one request from the client.
    emulator.clearRequests();
    emulator.inject({
      match: { model: 'anthropic/claude-sonnet-4-5' },
      times: 2,
      fault: { type: 'status', status: 500 },
    });
    const edge = await router.chat.completions
      .create({ model: 'support', messages: user('edge fallback') })
      .withRoute();
    expect(edge.data.choices[0]?.message.content).toBe(
      'Echo from openai/gpt-4o-mini: edge fallback',
    );
    expect(edge.route.attempts).toHaveLength(1);
    expect(edge.route.gatewayIds['cf-aig-model']).toBe('gpt-4o-mini');
    expect(emulator.requests).toHaveLength(1);
    expect(
      emulator.requests[0]?.route?.steps.map((step) => [step.element, step.attempt, step.outcome]),
    ).toEqual([
      ['model-1', 1, 'failed'],
      ['model-1', 2, 'failed'],
      ['model-2', 1, 'success'],
    ]);

    // Client-side fallback: the gateway itself fails; the router retries, then moves on.
    emulator.clearRequests();
    emulator.inject({
      match: { model: 'dynamic/support' },
      times: 2,
      fault: { type: 'status', status: 503 },
    });
    const client = await router.chat.completions
      .create({ model: 'support', messages: user('client fallback') })
      .withRoute();
    expect(client.data.choices[0]?.message.content).toBe(
      'Echo from openai/gpt-4o-mini: client fallback',
    );
    expect(client.route.upstream).toBe('or-gpt');
    expect(
      client.route.attempts.map((attempt) => [attempt.upstream, attempt.status, attempt.decision]),
    ).toEqual([
      ['edge:dynamic/support', 503, 'retry'],
      ['edge:dynamic/support', 503, 'fallback'],
      ['or-gpt', 200, 'success'],
    ]);
    expect(emulator.requests.map((request) => request.path)).toEqual([
      '/client/v4/accounts/acct/ai/v1/chat/completions',
      '/client/v4/accounts/acct/ai/v1/chat/completions',
      '/api/v1/chat/completions',
    ]);

    // Every model of the route fails: Cloudflare's 400 with code 2005 from the edge.
    emulator.clearRequests();
    emulator.inject({
      match: { model: 'anthropic/claude-sonnet-4-5' },
      times: 2,
      fault: { type: 'status', status: 500 },
    });
    emulator.inject({
      match: { model: 'openai/gpt-4o-mini', gateway: 'acct/prod' },
      times: 2,
      fault: { type: 'status', status: 500 },
    });
    const exhaustedCall = await router.chat.completions
      .create({ model: 'support', messages: user('exhausted') })
      .withRoute();
    // Cloudflare's gateway code 2005 is a gateway failure: the router moves on client-side.
    expect(exhaustedCall.route.upstream).toBe('or-gpt');
    expect(exhaustedCall.route.attempts[0]).toMatchObject({
      upstream: 'edge:dynamic/support',
      status: 400,
      errorClass: 'gateway',
      decision: 'fallback',
    });
    const exhausted = emulator.requests[0];
    expect(exhausted?.status).toBe(400);
    expect(exhausted?.route?.steps.every((step) => step.outcome === 'failed')).toBe(true);
    emulator.clearFaults();

    // The chain changes: diff shows it, push versions and deploys, the call follows.
    writeFileSync(file, configYaml(emulator.url, 'gpt-first'));
    const changed = await cli(['routes', 'diff', 'support', '-c', file, '--api-url', emulator.url]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('differs from the config');
    expect(changed.stdout).toContain('+ {"id":"model-1","outputs"');
    const versioned = await cli([
      'routes',
      'push',
      'support',
      '-c',
      file,
      '--api-url',
      emulator.url,
      '--apply',
    ]);
    expect(versioned.stdout).toMatch(/version ver_\d+ created and deployed/);
    expect(
      (await cli(['routes', 'diff', 'support', '-c', file, '--api-url', emulator.url])).code,
    ).toBe(0);
    emulator.clearRequests();
    const after = await router.chat.completions.create({ model: 'support', messages: user('v2') });
    expect(after.choices[0]?.message.content).toBe('Echo from openai/gpt-4o-mini: v2');
  });

  it("one request to the route may take every model element's tries: a hanging first model falls back at the edge", async () => {
    const emulator = await startTestEmulator({
      cloudflare: {
        apiTokens: [token],
        gateways: { 'acct/prod': { storedKeys: ['openai', 'anthropic'], unifiedBilling: false } },
      },
      apiKeys: [env.OPENROUTER_KEY],
    });
    const yaml = configYaml(emulator.url)
      .replace('retry: { attempts: 2, initialDelay: 1ms, maxDelay: 5ms }', 'retry: { attempts: 1 }')
      .replace('timeout: { total: 10s, attempt: 2s }', 'timeout: { total: 30s, attempt: 1s }');
    const file = join(mkdtempSync(join(tmpdir(), 'switchyard-routes-')), 'config.yaml');
    writeFileSync(file, yaml);
    const pushed = await cli([
      'routes',
      'push',
      'support',
      '-c',
      file,
      '--api-url',
      emulator.url,
      '--apply',
    ]);
    expect(pushed.code).toBe(0);
    const router = routerFromYaml(yaml, { configEnv: env });
    // Two model elements, one try each at 1 s, and 1 s for the gateway: the route's own limit;
    // the client-side fallback keeps the alias's.
    const [route, fallback] = router.resolve('support').targets;
    expect(route?.attemptMs).toBe(3000);
    expect(fallback?.attemptMs).toBeUndefined();

    emulator.inject({
      match: { model: 'anthropic/claude-sonnet-4-5' },
      times: 1,
      fault: { type: 'hang' },
    });
    const { data, route: served } = await router.chat.completions
      .create({ model: 'support', messages: user('slow first model') })
      .withRoute();
    expect(data.choices[0]?.message.content).toBe('Echo from openai/gpt-4o-mini: slow first model');
    expect(served.upstream).toBe('edge:dynamic/support');
    expect(served.attempts).toHaveLength(1);
    expect(emulator.requests[0]?.route?.steps.map((step) => [step.element, step.outcome])).toEqual([
      ['model-1', 'failed'],
      ['model-2', 'success'],
    ]);
    await router.close();
    await emulator.close();
  });

  it('refuses what a route cannot express, saying which part stays client-side', () => {
    const table = compileYaml(configYaml('http://127.0.0.1:9'), env);
    expect(() => compileAliasRoute({ table, alias: 'elsewhere' })).toThrow(
      'its first target "or-gpt" is on gateway "openrouter" (openrouter); a dynamic route runs inside one Cloudflare gateway, so the whole chain stays client-side',
    );
    expect(() => compileAliasRoute({ table, alias: 'interleaved' })).toThrow(
      'target "gpt" is on gateway "edge" after "or-gpt" on another gateway; the route runs only the leading targets on "edge", so reorder the targets (or leave "gpt" out)',
    );
    const plain = compileAliasRoute({ table, alias: 'plain' });
    expect(plain.route.name).toBe('plain');
    expect(plain.clientSide).toEqual(['or-gpt']);
  });

  it('a push without the token says which variable and permission it needs', async () => {
    const { out, io } = capture();
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-routes-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, configYaml('http://127.0.0.1:9'));
    const code = await runCli({
      argv: ['routes', 'push', 'support', '-c', file, '--token-env', 'MY_CF_TOKEN'],
      io,
    });
    expect(code).toBe(1);
    expect(out.stderr).toContain('set MY_CF_TOKEN to a Cloudflare API token with AI Gateway Edit');
  });

  it('the schema subset rejects a malformed route', () => {
    expect(
      checkRouteShape({
        name: 'x',
        elements: [{ id: 'm', type: 'model', outputs: {} }] as never,
      }).length,
    ).toBeGreaterThan(0);
  });

  it('a percentage element takes up to five outputs plus else', () => {
    const end = { elementId: 'end' };
    const route = (outputs: Record<string, { elementId: string }>) =>
      checkRouteShape({
        name: 'x',
        elements: [
          { id: 'start', type: 'start', outputs: { next: { elementId: 'split' } } },
          { id: 'split', type: 'percentage', outputs },
          { id: 'end', type: 'end', outputs: {} },
        ] as never,
      });
    const five = { '10': end, '20': end, '30': end, '35': end, '5': end };
    expect(route({ ...five, else: end })).toEqual([]);
    expect(route({ ...five, '1': end })).not.toEqual([]);
  });

  it('a REST author name that is not a route provider slug is mapped (xai → grok) or refused (google)', () => {
    const text = configYaml('http://127.0.0.1:9')
      .replace(
        'claude: { gateway: edge, model: anthropic/claude-sonnet-4-5 }',
        'claude: { gateway: edge, model: xai/grok-4 }',
      )
      .replace(
        'gpt: { gateway: edge, model: openai/gpt-4o-mini }',
        'gpt: { gateway: edge, model: google/gemini-2.5-flash }',
      );
    // With dynamicRoute, the config itself is refused at load.
    expect(() => compileYaml(text, env)).toThrow(
      'alias "support" cannot be served by a dynamic route: target "gpt": model "google/gemini-2.5-flash" names "google"',
    );
    const table = compileYaml(text.replace('dynamicRoute: support', ''), env);
    expect(compileAliasRoute({ table, alias: 'plain' }).route.elements[1]).toMatchObject({
      properties: { provider: 'grok', model: 'grok-4' },
    });
    expect(() => compileAliasRoute({ table, alias: 'support' })).toThrow(
      'target "gpt": model "google/gemini-2.5-flash" names "google", which a route\'s model element cannot name: Cloudflare\'s provider slug is google-ai-studio or google-vertex-ai',
    );
  });

  it('dynamicRoute on an alias that cannot be served by a route is a config error', () => {
    const text = configYaml('http://127.0.0.1:9').replace(
      'elsewhere: { targets: [or-gpt, claude] }',
      'elsewhere: { targets: [or-gpt, claude], dynamicRoute: elsewhere }',
    );
    let error: unknown;
    try {
      compileYaml(text, env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.message)).toEqual([
      'alias "elsewhere" cannot be served by a dynamic route: its first target "or-gpt" is on gateway "openrouter" (openrouter); a dynamic route runs inside one Cloudflare gateway, so the whole chain stays client-side',
    ]);
  });
});
