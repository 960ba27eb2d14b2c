/**
 * A gateway that answers with a redirect to another origin never gets the credentials carried
 * there: the router's clients do not follow redirects (`fetch` would follow a 307 and keep
 * `cf-aig-authorization` and custom headers). The redirect shows in the attempt log, and the
 * call fails or falls back.
 */
import { describe, expect, it } from 'vitest';
import { AllTargetsFailedError } from '../../src/errors.ts';
import {
  routerFromYaml,
  secrets,
  standardConfigYaml,
  standardEmulatorOptions,
  startTestEmulator,
  user,
} from '../helpers/gateway-harness.ts';

const statuses = [301, 302, 303, 307, 308] as const;

describe('cross-origin redirects are not followed', () => {
  for (const status of statuses) {
    it(`${status} from a Cloudflare gateway: origin B receives nothing, the call fails with the redirect logged`, async () => {
      const a = await startTestEmulator(standardEmulatorOptions());
      const b = await startTestEmulator(standardEmulatorOptions());
      a.inject({
        fault: {
          type: 'redirect',
          status,
          location: `${b.url}/v1/acct1/authed/compat/chat/completions`,
        },
      });
      const router = routerFromYaml(standardConfigYaml({ cloudflare: a.url }));

      const failure = await router.chat.completions
        .create({ model: 'cf-authed', messages: user('hi') })
        .catch((error: unknown) => error);

      expect(b.requests).toHaveLength(0);
      expect(a.requests).toHaveLength(1);
      expect(a.requests[0]?.status).toBe(status);
      expect(failure).toBeInstanceOf(AllTargetsFailedError);
      const attempts = (failure as AllTargetsFailedError).attempts;
      expect(attempts).toHaveLength(1);
      expect(attempts[0]).toMatchObject({ upstream: 'cf-authed-mini', status });
    });
  }

  it('a redirected streaming request is not followed either', async () => {
    const a = await startTestEmulator(standardEmulatorOptions());
    const b = await startTestEmulator(standardEmulatorOptions());
    a.inject({
      fault: { type: 'redirect', status: 307, location: `${b.url}/api/v1/chat/completions` },
    });
    const router = routerFromYaml(standardConfigYaml({ cloudflare: a.url }));
    const failure = await router.chat.completions
      .create({ model: 'openrouter', messages: user('hi'), stream: true })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AllTargetsFailedError);
    expect(b.requests).toHaveLength(0);
  });

  it('with a fallback target, the call falls back and the attempt log shows the redirect', async () => {
    const a = await startTestEmulator(standardEmulatorOptions());
    const b = await startTestEmulator(standardEmulatorOptions());
    a.inject({
      match: { gateway: 'acct1/authed' },
      fault: {
        type: 'redirect',
        status: 307,
        location: `${b.url}/v1/acct1/authed/compat/chat/completions`,
      },
    });
    const yaml = standardConfigYaml({ cloudflare: a.url }).replace(
      '  cf-authed: cf-authed-mini\n',
      '  cf-authed:\n    targets: [cf-authed-mini, cf-stored-mini]\n',
    );
    expect(yaml).toContain('targets: [cf-authed-mini, cf-stored-mini]');
    const router = routerFromYaml(yaml);

    const { data, route } = await router.chat.completions
      .create({ model: 'cf-authed', messages: user('hi') })
      .withRoute();

    expect(data.choices[0]?.message.content).toBe('Echo from openai/gpt-4o-mini: hi');
    expect(b.requests).toHaveLength(0);
    expect(route.upstream).toBe('cf-stored-mini');
    expect(
      route.attempts.map((attempt) => [attempt.upstream, attempt.status, attempt.decision]),
    ).toEqual([
      ['cf-authed-mini', 307, 'fallback'],
      ['cf-stored-mini', 200, 'success'],
    ]);
    expect(a.requests.map((request) => request.path)).toEqual([
      '/v1/acct1/authed/compat/chat/completions',
      '/v1/acct1/byok/compat/chat/completions',
    ]);
  });

  it('the same redirect IS followed by a plain fetch, with cf-aig-authorization: the guard is real', async () => {
    const a = await startTestEmulator(standardEmulatorOptions());
    const b = await startTestEmulator();
    a.inject({
      fault: {
        type: 'redirect',
        status: 307,
        location: `${b.url}/v1/acct1/open/compat/chat/completions`,
      },
    });
    const response = await fetch(`${a.url}/v1/acct1/open/compat/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${secrets.cfOpenKey}`,
        'cf-aig-authorization': 'Bearer followed',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: user('hi') }),
    });
    await response.arrayBuffer();
    expect(response.redirected).toBe(true);
    expect(b.requests).toHaveLength(1);
    expect(b.requests[0]?.headers['cf-aig-authorization']).toBe('Bearer followed');
  });
});
