/**
 * Which API a path names. Cloudflare's compat endpoint is `/v1/{account}/{gateway}/compat/...`
 * (https://developers.cloudflare.com/ai-gateway/usage/chat-completion/) and its REST API
 * `/client/v4/accounts/{account}/ai/v1/...`, the gateway named by `cf-aig-gateway-id`
 * (https://developers.cloudflare.com/ai-gateway/usage/rest-api/); anything else ending in an
 * OpenAI API path is OpenAI-compatible.
 */
import { describe, expect, it } from 'vitest';
import { matchRoute } from '../../src/emulator/routes.ts';

describe('matchRoute', () => {
  it('reads account and gateway from a compat path, decoding them', () => {
    expect(matchRoute({ pathname: '/v1/acct%201/gw/compat/embeddings' })).toEqual({
      kind: 'cloudflare',
      api: 'compat',
      accountId: 'acct 1',
      gatewayId: 'gw',
      gatewayNamed: true,
      endpoint: 'embeddings',
    });
  });

  it('takes the REST gateway from cf-aig-gateway-id, else the default gateway', () => {
    const pathname = '/client/v4/accounts/acct/ai/v1/responses';
    expect(matchRoute({ pathname, headers: { 'cf-aig-gateway-id': 'prod' } })).toMatchObject({
      api: 'rest',
      gatewayId: 'prod',
      gatewayNamed: true,
      endpoint: 'responses',
    });
    expect(matchRoute({ pathname })).toMatchObject({ gatewayId: 'default', gatewayNamed: false });
  });

  it('serves no API that the compat endpoint does not document', () => {
    expect(matchRoute({ pathname: '/v1/acct/gw/compat/responses' })).toBeUndefined();
  });

  it.each([
    ['/api/v1/chat/completions', 'chat.completions'],
    ['/vercel/v1/embeddings', 'embeddings'],
    ['/v1/responses', 'responses'],
  ])('%s is OpenAI-compatible (%s)', (pathname, endpoint) => {
    expect(matchRoute({ pathname })).toEqual({ kind: 'openai-compatible', endpoint });
  });

  it('matches nothing else', () => {
    expect(matchRoute({ pathname: '/v1/models' })).toBeUndefined();
  });
});
