/**
 * The emulator's Cloudflare routes API
 * (https://developers.cloudflare.com/api/resources/ai_gateway/subresources/dynamic_routing/)
 * over real HTTP: token check, create (which deploys version 1), list, get, new versions that stay
 * inactive until deployed, deployments, delete, and the refusals (bad JSON, wrong method, a
 * duplicate name, an unknown route or version, malformed elements). A chat call to
 * `dynamic/<name>` then runs whichever version is deployed.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { userMessage } from './helpers.ts';

const apiToken = 'cf-api-token-test';
let emulator: Emulator;

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

type Answer = { status: number; body: Record<string, unknown> };

async function api(options: {
  path?: string;
  method?: string;
  body?: unknown;
  token?: string | null;
  gateway?: string;
}): Promise<Answer> {
  const token = options.token === undefined ? apiToken : options.token;
  const base = `${emulator.url}/client/v4/accounts/acct/ai-gateway/gateways/${options.gateway ?? 'gw'}/routes`;
  const response = await fetch(`${base}${options.path ?? ''}`, {
    method: options.method ?? 'GET',
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    ...(options.body === undefined
      ? {}
      : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const modelElement = (id: string, model: string, fallback = 'end') => ({
  id,
  type: 'model',
  properties: { provider: 'openai', model, retries: 0, timeout: 1000 },
  outputs: { success: { elementId: 'end' }, fallback: { elementId: fallback } },
});

const elementsFor = (model: string) => [
  { id: 'start', type: 'start', outputs: { next: { elementId: 'm' } } },
  modelElement('m', model),
  { id: 'end', type: 'end', outputs: {} },
];

const apiError = (code: number, message: string) => ({
  result: null,
  success: false,
  errors: [{ code, message }],
  messages: [],
});

const validation = (path: (string | number)[], message: string) => ({
  success: false,
  errors: [{ code: 7001, message, source: { pointer: path.map((part) => `/${part}`).join('') } }],
  messages: [],
  result: null,
});

describe('routes API refusals', () => {
  it('refuses a missing or unknown API token with 401 and code 10000', async () => {
    for (const token of [null, 'wrong']) {
      const answer = await api({ token });
      expect(answer).toEqual({ status: 401, body: apiError(10000, 'Authentication error') });
    }
  });

  it('refuses a body that is not JSON, and a method the collection does not have', async () => {
    expect(await api({ method: 'POST', body: '{nope' })).toEqual({
      status: 400,
      body: apiError(7001, 'the body must be JSON'),
    });
    expect(await api({ method: 'PUT' })).toEqual({
      status: 405,
      body: apiError(7000, 'method PUT not allowed'),
    });
  });

  it.each([
    ['no name', { elements: elementsFor('gpt-4o') }, ['name'], 'Required'],
    ['no elements', { name: 'r' }, ['elements'], 'Required'],
    [
      'an element without id',
      { name: 'r', elements: [{ type: 'start' }] },
      ['elements', 0],
      'Invalid element',
    ],
    [
      'an unknown element type',
      { name: 'r', elements: [{ id: 'x', type: 'teleport', outputs: {} }] },
      ['elements', 0],
      'Invalid element',
    ],
    [
      'an element without outputs',
      { name: 'r', elements: [{ id: 'start', type: 'start' }] },
      ['elements', 0, 'outputs'],
      'Required',
    ],
    [
      'an output naming no element',
      {
        name: 'r',
        elements: [{ id: 'start', type: 'start', outputs: { next: { elementId: 'gone' } } }],
      },
      ['elements', 0, 'outputs', 'next'],
      'must name an element of the route',
    ],
    [
      'a model element without retries',
      {
        name: 'r',
        elements: [
          { id: 'start', type: 'start', outputs: { next: { elementId: 'm' } } },
          {
            ...modelElement('m', 'gpt-4o'),
            properties: { provider: 'openai', model: 'gpt-4o', timeout: 1 },
          },
          { id: 'end', type: 'end', outputs: {} },
        ],
      },
      ['elements', 1, 'properties', 'retries'],
      'Expected number',
    ],
    [
      'two start elements',
      {
        name: 'r',
        elements: [
          { id: 'a', type: 'start', outputs: { next: { elementId: 'end' } } },
          { id: 'b', type: 'start', outputs: { next: { elementId: 'end' } } },
          { id: 'end', type: 'end', outputs: {} },
        ],
      },
      ['elements'],
      'a route has exactly one start element',
    ],
  ])('refuses a route with %s, naming the path', async (_case, body, path, message) => {
    expect(await api({ method: 'POST', body })).toEqual({
      status: 400,
      body: validation(path, message),
    });
  });
});

describe('routes API lifecycle', () => {
  it('creates, versions, deploys and deletes a route; calls run the deployed version', async () => {
    const created = await api({
      method: 'POST',
      body: { name: 'main', elements: elementsFor('gpt-4o') },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ success: true, errors: [], messages: [] });
    const route = created.body['result'] as Record<string, unknown>;
    const id = String(route['id']);
    expect(route).toMatchObject({
      name: 'main',
      gateway_id: 'gw',
      elements: elementsFor('gpt-4o'),
      deployment: { version_id: (route['version'] as { version_id: string }).version_id },
      version: { active: 'true', data: JSON.stringify(elementsFor('gpt-4o')) },
    });
    expect(id).toMatch(/^route_\d{6}$/);
    expect(route['created_at']).toBe(route['modified_at']);

    expect(
      await api({ method: 'POST', body: { name: 'main', elements: elementsFor('x') } }),
    ).toEqual({
      status: 409,
      body: apiError(7002, 'a route named "main" already exists on this gateway'),
    });
    const listed = await api({});
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      success: true,
      data: {
        routes: [{ ...route, account_tag: 'acct' }],
        page: 1,
        per_page: 20,
        order_by: 'created_at',
        order_by_direction: 'asc',
      },
    });
    // Another gateway has its own routes.
    expect((await api({ gateway: 'other' })).body).toMatchObject({ data: { routes: [] } });

    const second = await api({
      method: 'POST',
      path: `/${id}/versions`,
      body: { elements: elementsFor('gpt-4.1') },
    });
    expect(second.status).toBe(200);
    // As published: the route with the new elements, and no version id.
    expect(Object.keys(second.body['result'] as object).sort()).toEqual([
      'created_at',
      'elements',
      'gateway_id',
      'id',
      'modified_at',
      'name',
    ]);
    expect(second.body['result']).toMatchObject({ id, elements: elementsFor('gpt-4.1') });
    // Not live until deployed: the route still shows and runs version 1.
    expect((await api({ path: `/${id}` })).body['result']).toMatchObject({
      elements: elementsFor('gpt-4o'),
      version: { active: 'true' },
    });
    const client = new OpenAI({
      apiKey: 'unused',
      baseURL: `${emulator.url}/v1/acct/gw/compat`,
      maxRetries: 0,
      defaultHeaders: { Authorization: null, 'cf-aig-authorization': 'Bearer gw-token' },
    });
    const call = () =>
      client.chat.completions.create({ model: 'dynamic/main', messages: userMessage('hi') });
    expect((await call()).model).toBe('openai/gpt-4o');

    const versions = await api({ path: `/${id}/versions` });
    expect(versions.body).toMatchObject({
      success: true,
      data: { page: 1, per_page: 20 },
    });
    const versionList = (versions.body['data'] as { versions: Record<string, unknown>[] }).versions;
    expect(versionList.map((version) => version['active'])).toEqual(['true', 'false']);
    const secondVersion = versionList[1] as Record<string, unknown>;
    expect(secondVersion['data']).toBe(JSON.stringify(elementsFor('gpt-4.1')));
    // One version a page: the second page holds the second version, the third is empty.
    const paged = await api({ path: `/${id}/versions?per_page=1&page=2` });
    expect(paged.body).toMatchObject({ data: { page: 2, per_page: 1, versions: [secondVersion] } });
    const past = await api({ path: `/${id}/versions?per_page=1&page=3` });
    expect(past.body).toMatchObject({ data: { page: 3, versions: [] } });

    expect(
      await api({ method: 'POST', path: `/${id}/deployments`, body: { version_id: 'ver_nope' } }),
    ).toEqual({
      status: 400,
      body: validation(['version_id'], 'no such version'),
    });
    const deployed = await api({
      method: 'POST',
      path: `/${id}/deployments`,
      body: { version_id: secondVersion['version_id'] },
    });
    expect(deployed.body['result']).toMatchObject({ id, elements: elementsFor('gpt-4.1') });
    expect((await api({ path: `/${id}` })).body['result']).toMatchObject({
      deployment: { version_id: secondVersion['version_id'] },
      version: { version_id: secondVersion['version_id'], active: 'true' },
    });
    expect((await call()).model).toBe('openai/gpt-4.1');
    const deployments = await api({ path: `/${id}/deployments` });
    expect(
      (deployments.body['data'] as { deployments: { version_id: string }[] }).deployments.map(
        (deployment) => deployment.version_id,
      ),
    ).toEqual([
      (route['version'] as { version_id: string }).version_id,
      secondVersion['version_id'],
    ]);

    expect(await api({ method: 'PATCH', path: `/${id}`, body: {} })).toEqual({
      status: 405,
      body: apiError(7000, 'method PATCH not allowed'),
    });
    expect((await api({ method: 'DELETE', path: `/${id}` })).status).toBe(200);
    expect(await api({ path: `/${id}` })).toEqual({
      status: 404,
      body: apiError(7003, `no route ${id} on this gateway`),
    });
  });
});
