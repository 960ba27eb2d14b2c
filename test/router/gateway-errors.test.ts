/**
 * The corpus of real gateway failures (`test/fixtures/gateway-errors/*.json`): one response
 * per file, each written from the public page or report its `source` names, and labelled with
 * its `kind`: `documented` (the source states it), `observed` (a bug report shows it) or
 * `inferred` (no public source states it: kept apart in `inferred/`, with the `reasoning`). Every one is played
 * byte for byte by a plain loopback server as the primary of a two-target chain, through the
 * real `openai` SDK, and the test pins the class, the decision after the first attempt and the
 * number of requests the primary received. A fixture whose decision is `fail` must stop the call;
 * any other must end with the fallback's answer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ErrorAction, ErrorClass } from '../../src/config/route-table.ts';
import { AllTargetsFailedError } from '../../src/errors.ts';
import { routerFromYaml, user } from '../helpers/gateway-harness.ts';
import { type ScriptedResponse, startScriptedServer } from '../helpers/scripted-server.ts';

type GatewayKind = 'cloudflare' | 'openrouter' | 'vercel' | 'openai-compatible';

type Fixture = {
  about: string;
  source: string;
  kind: 'documented' | 'observed' | 'inferred';
  reasoning?: string;
  gateway: GatewayKind;
  stream: boolean;
  response: ScriptedResponse;
  expect: { class: ErrorClass; decision: ErrorAction; requests: number };
};

const directory = fileURLToPath(new URL('../fixtures/gateway-errors/', import.meta.url));
const fixtures = ['', 'inferred/'].flatMap((folder) =>
  readdirSync(`${directory}${folder}`)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({
      name: `${folder}${name.replace(/\.json$/, '')}`,
      folder,
      fixture: JSON.parse(readFileSync(`${directory}${folder}${name}`, 'utf8')) as Fixture,
    })),
);

function gatewayYaml(kind: GatewayKind, url: string): string {
  switch (kind) {
    case 'cloudflare':
      return `{ type: cloudflare, accountId: acct, gatewayId: gw, baseURL: "${url}", auth: { token: t0ken, keys: stored } }`;
    case 'openrouter':
      return `{ type: openrouter, apiKey: or-key, baseURL: "${url}/api/v1" }`;
    case 'vercel':
      return `{ type: vercel, apiKey: v-key, baseURL: "${url}/v1" }`;
    default:
      return `{ type: openai-compatible, apiKey: local-key, baseURL: "${url}/v1" }`;
  }
}

describe('the corpus of real gateway failures', () => {
  it('holds at least 40 responses, each citing a public source', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(40);
    const kinds = new Set(fixtures.map(({ fixture }) => fixture.gateway));
    expect([...kinds].sort()).toEqual(['cloudflare', 'openai-compatible', 'openrouter', 'vercel']);
    for (const { name, folder, fixture } of fixtures) {
      expect(fixture.source, name).toMatch(/^https:\/\/\S+$/);
      expect(fixture.about, name).not.toBe('');
      expect(['documented', 'observed', 'inferred'], name).toContain(fixture.kind);
      // Inferred responses live apart, each with the reasoning behind it.
      expect(fixture.kind === 'inferred', name).toBe(folder === 'inferred/');
      if (fixture.kind === 'inferred') expect(fixture.reasoning?.length, name).toBeGreaterThan(40);
    }
  });

  for (const { name, fixture } of fixtures) {
    it(`${name}: ${fixture.expect.class}, ${fixture.expect.decision}, ${fixture.expect.requests} request(s)`, async () => {
      const server = await startScriptedServer();
      server.script('openai/primary-model', fixture.response);
      const yaml = [
        'version: 1',
        'gateways:',
        `  gw: ${gatewayYaml(fixture.gateway, server.url)}`,
        'upstreams:',
        '  primary: { gateway: gw, model: openai/primary-model }',
        '  fallback: { gateway: gw, model: openai/fallback-model }',
        'models:',
        '  chain:',
        '    targets: [primary, fallback]',
        '    retry: { attempts: 2, initialDelay: 1ms, maxDelay: 2s }',
      ].join('\n');
      const router = routerFromYaml(yaml, { configEnv: {}, health: false });
      const outcome = await (async () => {
        if (!fixture.stream) {
          return router.chat.completions
            .create({ model: 'chain', messages: user('hi') })
            .withRoute();
        }
        const { data, route } = await router.chat.completions
          .create({ model: 'chain', messages: user('hi'), stream: true })
          .withRoute();
        const chunks = [];
        for await (const chunk of data) chunks.push(chunk);
        return { data: chunks, route };
      })().catch((error: unknown) => error);

      const attempts =
        outcome instanceof AllTargetsFailedError
          ? outcome.attempts
          : (outcome as { route: { attempts: AllTargetsFailedError['attempts'] } }).route.attempts;
      expect(attempts[0], `${name}: ${JSON.stringify(attempts[0])}`).toMatchObject({
        upstream: 'primary',
        errorClass: fixture.expect.class,
        decision: fixture.expect.decision,
      });
      expect(server.requestsFor('openai/primary-model')).toHaveLength(fixture.expect.requests);
      if (fixture.expect.decision === 'fail') {
        expect(outcome).toBeInstanceOf(AllTargetsFailedError);
        // Typed data: the policy stopped the call, on this class.
        expect(outcome).toMatchObject({ reason: 'policy-stop', stoppedOn: fixture.expect.class });
        expect((outcome as Error).message).toContain(
          `stopped: the policy does not retry ${fixture.expect.class} errors`,
        );
        expect(server.requestsFor('openai/fallback-model')).toHaveLength(0);
      } else {
        expect(outcome, `${name}: ${String(outcome)}`).not.toBeInstanceOf(Error);
        expect(attempts.at(-1)).toMatchObject({ upstream: 'fallback', decision: 'success' });
      }
    });
  }
});
