/**
 * A key holding `+`, `/` or `=` (base64-style keys do) echoed URL-encoded by an upstream: in the
 * error message, a redirect `location`, a request id. Every encoded form is blanked wherever the
 * caller can see it. The upstream is a plain node:http server on loopback; proxies and gateways
 * that reflect a request's query string or form body send the key in these forms
 * (`encodeURIComponent`, `application/x-www-form-urlencoded` as `URLSearchParams` writes it, a
 * `+` decoded as a space).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter, parseConfig } from '../../src/index.ts';
import { render } from './exercise.ts';

const apiKey = 'sk-ENC+key/with=signs~and+more==';
const encoded = {
  component: encodeURIComponent(apiKey),
  lowerHex: encodeURIComponent(apiKey).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
  form: new URLSearchParams({ key: apiKey }).toString().slice(4),
  plusAsSpace: apiKey.replaceAll('+', ' '),
};

function leaks(text: string): string[] {
  return Object.entries({ apiKey, ...encoded })
    .filter(([, value]) => text.includes(value))
    .map(([name]) => name);
}

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const key = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
      const component = encodeURIComponent(key);
      response.writeHead(401, {
        'content-type': 'application/json',
        location: `http://127.0.0.1:9/login?key=${component}`,
        'x-request-id': `req-${new URLSearchParams({ k: key }).toString()}`,
        'www-authenticate': `Bearer realm="${component.toLowerCase()}"`,
      });
      response.end(
        JSON.stringify({
          error: {
            message: `Incorrect API key provided: ${component} (as a form: ${new URLSearchParams({ key }).toString()}; decoded: ${key.replaceAll('+', ' ')})`,
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('a secret echoed URL-encoded', () => {
  it('is blanked in the error, its cause chain and the hook states', async () => {
    const table = parseConfig(
      `version: 1\ngateways:\n  plain: { type: openai-compatible, baseURL: "${url}/v1", apiKey: "\${API_KEY}" }\nmodels:\n  chat: plain:m\n`,
      { env: { API_KEY: apiKey } },
    );
    const states: unknown[] = [];
    const router = createRouter(table, {
      env: {},
      onAttempt: (state) => states.push(state),
      onFailure: (state) => states.push(state),
    });
    try {
      const error = await router.chat.completions
        .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Error);
      const text = render(error);
      // The upstream did echo the key: its status and the redaction marker show it.
      expect(text).toContain('401');
      expect(text).toContain('[redacted]');
      expect(leaks(text)).toEqual([]);
      expect(leaks(render(states))).toEqual([]);
    } finally {
      await router.close();
    }
  });
});
