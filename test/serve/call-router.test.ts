import { describe, expect, it } from 'vitest';
import type { RouteInfo } from '../../src/router/types.ts';
import { attemptHeaders, routeHeaders, sentAttempts } from '../../src/serve/call-router.ts';

const attempt = (decision: RouteInfo['attempts'][number]['decision']) => ({
  upstream: 'a',
  gateway: 'cf',
  model: 'm',
  targetIndex: 0,
  attempt: 1,
  decision,
  waitMs: 0,
  durationMs: 1,
});

const route: RouteInfo = {
  model: 'fast',
  upstream: 'mini-ü',
  gateway: 'cf',
  upstreamModel: 'openai/gpt-4o-mini',
  attempts: [attempt('skipped'), attempt('retry'), attempt('success')],
  gatewayIds: { 'cf-aig-log-id': 'log-1' },
};

describe('routeHeaders', () => {
  it('names the route, counts only requests sent, and percent-encodes what a header cannot hold', () => {
    expect(routeHeaders(route)).toEqual({
      'x-switchyard-upstream': 'mini-%C3%BC',
      'x-switchyard-gateway': 'cf',
      'x-switchyard-model': 'openai/gpt-4o-mini',
      'x-switchyard-attempts': '2',
      'x-request-id': 'log-1',
    });
    expect(sentAttempts(route)).toBe(2);
  });

  it("prefers the gateway's x-request-id to Cloudflare's log id", () => {
    const both = { ...route, gatewayIds: { 'cf-aig-log-id': 'log-1', 'x-request-id': 'req-9' } };
    expect(routeHeaders(both)['x-request-id']).toBe('req-9');
  });
});

describe('attemptHeaders', () => {
  it("counts a failed call's sent attempts, and adds nothing for an error without attempts", () => {
    const error = Object.assign(new Error('all failed'), {
      attempts: [attempt('fallback'), attempt('skipped'), attempt('fail')],
    });
    expect(attemptHeaders(error)).toEqual({ 'x-switchyard-attempts': '2' });
    expect(attemptHeaders(new Error('bad body'))).toEqual({});
  });
});
