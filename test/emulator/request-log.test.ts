import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { createCloudflareClient, userMessage } from './helpers.ts';

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({
    cloudflare: { gateways: { 'acct/secure': { token: 'tok', storedKeys: ['openai'] } } },
  });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.clearRequests();
  emulator.clearFaults();
});

describe('request log', () => {
  it('records URL, method, headers, parsed body and the outcome of each request', async () => {
    const before = performance.now();
    const client = createCloudflareClient({
      emulator,
      gateway: 'acct/secure',
      apiKey: null,
      gatewayToken: 'tok',
    });
    await client.chat.completions.create(
      { model: 'openai/gpt-4o-mini', messages: userMessage('hi'), temperature: 0 },
      { query: { trace: '1' }, headers: { 'X-Custom-Header': 'Yes' } },
    );
    const [entry] = emulator.requests;
    expect(entry).toMatchObject({
      method: 'POST',
      path: '/v1/acct/secure/compat/chat/completions',
      url: `${emulator.url}/v1/acct/secure/compat/chat/completions?trace=1`,
      body: { model: 'openai/gpt-4o-mini', messages: userMessage('hi'), temperature: 0 },
      kind: 'cloudflare',
      endpoint: 'chat.completions',
      accountId: 'acct',
      gatewayId: 'secure',
      provider: 'openai',
      model: 'openai/gpt-4o-mini',
      stream: false,
      credential: 'stored',
      cacheStatus: 'MISS',
      status: 200,
      outcome: 'completed',
    });
    expect(entry?.headers['x-custom-header']).toBe('Yes');
    expect(entry?.headers['content-type']).toBe('application/json');
    expect(entry?.headers).not.toHaveProperty('authorization');
    expect(entry?.headers).not.toHaveProperty('X-Custom-Header');
    expect(entry?.time).toBeGreaterThanOrEqual(before);
    expect(entry?.durationMs).toBeGreaterThanOrEqual(0);
    expect(entry).not.toHaveProperty('fault');
  });

  it('records raw text bodies, refused requests and stream flags', async () => {
    await fetch(`${emulator.url}/v1/acct/secure/compat/chat/completions`, {
      method: 'POST',
      body: 'plain text',
    });
    const client = createCloudflareClient({ emulator });
    const stream = await client.chat.completions.create({
      model: 'openai/m',
      messages: userMessage('x'),
      stream: true,
    });
    for await (const _chunk of stream) {
      // drain
    }
    const [refused, streamed] = emulator.requests;
    expect(refused).toMatchObject({ body: 'plain text', status: 401, stream: false });
    expect(refused).not.toHaveProperty('model');
    expect(streamed).toMatchObject({ stream: true, status: 200, outcome: 'completed' });
  });

  it('keeps arrival order and counts sequence numbers across clearRequests', async () => {
    const client = createCloudflareClient({ emulator });
    emulator.inject({ match: { model: 'openai/slow' }, fault: { type: 'delay', ms: 100 } });
    await Promise.all([
      client.chat.completions.create({ model: 'openai/slow', messages: userMessage('1') }),
      new Promise((resolve) => setTimeout(resolve, 20)).then(() =>
        client.chat.completions.create({ model: 'openai/fast', messages: userMessage('2') }),
      ),
    ]);
    const models = emulator.requests.map((entry) => entry.model);
    expect(models).toEqual(['openai/slow', 'openai/fast']);
    const [slow, fast] = emulator.requests;
    expect((fast?.seq ?? 0) - (slow?.seq ?? 0)).toBe(1);
    expect(fast?.durationMs ?? Infinity).toBeLessThan(slow?.durationMs ?? 0);
    const lastSeq = fast?.seq ?? 0;
    emulator.clearRequests();
    expect(emulator.requests).toEqual([]);
    await client.chat.completions.create({ model: 'openai/x', messages: userMessage('3') });
    expect(emulator.requests[0]?.seq).toBe(lastSeq + 1);
  });

  it('logs and refuses bodies over maxBodyBytes with 413', async () => {
    const small = await startEmulator({ maxBodyBytes: 64 });
    try {
      const response = await fetch(`${small.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk' },
        body: JSON.stringify({ model: 'm', messages: userMessage('x'.repeat(100)) }),
      });
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ error: { code: 'request_too_large' } });
      expect(small.requests[0]).toMatchObject({ status: 413, body: undefined });
    } finally {
      await small.close();
    }
  });

  it('returns a snapshot that callers cannot use to alter the log', () => {
    const snapshot = emulator.requests as unknown[];
    snapshot.push({});
    expect(emulator.requests).toHaveLength(0);
  });
});

describe('control routes', () => {
  it('GET /__emulator/requests returns the log as JSON and is not itself logged', async () => {
    await createCloudflareClient({ emulator }).chat.completions.create({
      model: 'openai/m',
      messages: userMessage('x'),
    });
    const response = await fetch(`${emulator.url}/__emulator/requests`);
    const { requests } = (await response.json()) as {
      requests: { model: string; status: number }[];
    };
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ model: 'openai/m', status: 200 });
    expect(emulator.requests).toHaveLength(1);
  });

  it('POST /__emulator/faults injects a rule; DELETE clears rules and the log', async () => {
    const created = await fetch(`${emulator.url}/__emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ times: 1, fault: { type: 'status', status: 503 } }),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ id: expect.any(Number) });
    const invalid = await fetch(`${emulator.url}/__emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ fault: { type: 'explode' } }),
    });
    expect(invalid.status).toBe(400);
    const client = createCloudflareClient({ emulator });
    await expect(
      client.chat.completions.create({ model: 'openai/m', messages: userMessage('x') }),
    ).rejects.toMatchObject({ status: 503 });

    emulator.inject({ fault: { type: 'status', status: 500 } });
    await fetch(`${emulator.url}/__emulator/faults`, { method: 'DELETE' });
    await expect(
      client.chat.completions.create({ model: 'openai/m', messages: userMessage('x') }),
    ).resolves.toBeDefined();
    await fetch(`${emulator.url}/__emulator/requests`, { method: 'DELETE' });
    expect(emulator.requests).toEqual([]);
  });
});
