/**
 * The emulator answers what Cloudflare's published schema says, nothing more: every answer of
 * its routes API, for every operation and every refusal, validates against the schema
 * transcribed from `src/resources/ai-gateway/dynamic-routing.ts` (and `ResponseInfo` in
 * `src/resources/shared.ts`) of https://github.com/cloudflare/cloudflare-typescript, in
 * test/fixtures/published-api/dynamic-routing.schema.json, where every object is closed: a field
 * the emulator invents fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { publishedOperations, publishedResponseValidator } from '../helpers/published-api.ts';

const apiToken = 'cf-api-token-published';
let emulator: Emulator;
const validate = publishedResponseValidator();

beforeAll(async () => {
  emulator = await startEmulator({
    cloudflare: {
      apiTokens: [apiToken],
      gateways: { 'acct/gw': { token: 'gw-token', storedKeys: ['openai'] } },
    },
  });
});

afterAll(async () => {
  await emulator.close();
});

async function api(options: { path?: string; method?: string; body?: unknown; token?: string }) {
  const base = `${emulator.url}/client/v4/accounts/acct/ai-gateway/gateways/gw/routes`;
  const response = await fetch(`${base}${options.path ?? ''}`, {
    method: options.method ?? 'GET',
    headers: { authorization: `Bearer ${options.token ?? apiToken}` },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const elements = (model: string) => [
  { id: 'start', type: 'start', outputs: { next: { elementId: 'split' } } },
  {
    id: 'split',
    type: 'percentage',
    outputs: { '50': { elementId: 'm' }, else: { elementId: 'm' } },
  },
  {
    id: 'm',
    type: 'model',
    properties: { provider: 'openai', model, retries: 0, timeout: 1000 },
    outputs: { success: { elementId: 'end' }, fallback: { elementId: 'end' } },
  },
  { id: 'end', type: 'end', outputs: {} },
];

describe('the emulated routes API against the published schema', () => {
  it('every answer, success or refusal, is one the schema allows', async () => {
    const answers: { operation: string; status: number; body: unknown }[] = [];
    const record = async (operation: string, request: Parameters<typeof api>[0]) => {
      const answer = await api(request);
      answers.push({ operation, ...answer });
      return answer;
    };
    const created = await record('create', {
      method: 'POST',
      body: { name: 'r', elements: elements('gpt-4o') },
    });
    const id = String((created.body['result'] as { id: string }).id);
    await record('list', {});
    await record('list', { path: '?page=2&per_page=1' });
    await record('get', { path: `/${id}` });
    await record('createVersion', {
      method: 'POST',
      path: `/${id}/versions`,
      body: { elements: elements('gpt-4.1') },
    });
    const versions = await record('listVersions', { path: `/${id}/versions` });
    const [, second] = (versions.body['data'] as { versions: { version_id: string }[] }).versions;
    await record('createDeployment', {
      method: 'POST',
      path: `/${id}/deployments`,
      body: { version_id: second?.version_id },
    });
    await record('listDeployments', { path: `/${id}/deployments?per_page=1` });
    // Refusals: a bad token, bad JSON fields, a duplicate, an unknown route, a bad page.
    await record('error', { token: 'wrong' });
    await record('error', { method: 'POST', body: { name: 'x', elements: [] } });
    await record('error', { method: 'POST', body: { name: 'r', elements: elements('x') } });
    await record('error', { path: '/route_nope' });
    await record('error', { path: '?page=0' });
    await record('error', {
      method: 'POST',
      path: `/${id}/deployments`,
      body: { version_id: 'v' },
    });
    await record('delete', { method: 'DELETE', path: `/${id}` });

    expect(answers.map(({ operation, status }) => [operation, status < 400])).toEqual(
      answers.map(({ operation }) => [operation, operation !== 'error']),
    );
    for (const answer of answers) {
      expect({ operation: answer.operation, problems: validate(answer) }).toEqual({
        operation: answer.operation,
        problems: [],
      });
    }
    // Every transcribed operation but update (the emulator has no PATCH) was exercised.
    expect(new Set(answers.map((answer) => answer.operation))).toEqual(
      new Set(publishedOperations()),
    );
  });

  it('the schema is closed: an invented field, or a version id on a created version, fails', async () => {
    const created = await api({
      method: 'POST',
      body: { name: 'closed', elements: elements('a') },
    });
    expect(validate({ operation: 'create', body: created.body })).toEqual([]);
    const result = created.body['result'] as Record<string, unknown>;
    const invented = { ...created.body, result: { ...result, priority: 1 } };
    expect(validate({ operation: 'create', body: invented })).toEqual([
      '/result must NOT have additional properties (priority)',
    ]);
    const id = String(result['id']);
    const version = await api({
      method: 'POST',
      path: `/${id}/versions`,
      body: { elements: elements('b') },
    });
    expect(validate({ operation: 'createVersion', body: version.body })).toEqual([]);
    const withId = {
      ...version.body,
      result: { ...(version.body['result'] as object), version: result['version'] },
    };
    expect(validate({ operation: 'createVersion', body: withId })).toEqual([
      '/result must NOT have additional properties (version)',
    ]);
  });
});
