/**
 * The span attributes as pure functions (the spans themselves are tested over HTTP with an
 * in-memory exporter in otel.test.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  callAttributes,
  errorType,
  responseAttributes,
  serverOf,
} from '../../src/otel/attributes.ts';

describe('callAttributes', () => {
  it('records the operation, alias, numeric request settings and the context', () => {
    expect(
      callAttributes({
        operation: 'chat',
        model: 'fast',
        stream: true,
        params: { temperature: 0.2, max_completion_tokens: 50, top_p: 'high', messages: [] },
        context: { tenant: 'acme' },
      }),
    ).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'fast',
      'switchyard.alias': 'fast',
      'switchyard.stream': true,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 50,
      'switchyard.context.tenant': 'acme',
    });
  });
});

describe('responseAttributes', () => {
  it('records only what the answer reported', () => {
    expect(responseAttributes({})).toEqual({});
    expect(
      responseAttributes({
        responseModel: 'gpt',
        finishReasons: ['stop'],
        usage: { inputTokens: 3 },
      }),
    ).toEqual({
      'gen_ai.response.model': 'gpt',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 3,
    });
  });
});

describe('serverOf and errorType', () => {
  it('gives the host and the port, defaulted by scheme', () => {
    expect(serverOf('https://gateway.example/v1')).toEqual({
      'server.address': 'gateway.example',
      'server.port': 443,
    });
    expect(serverOf('http://127.0.0.1:8080/v1')).toEqual({
      'server.address': '127.0.0.1',
      'server.port': 8080,
    });
    expect(serverOf('not a url')).toEqual({});
  });

  it('prefers a stable code over the class name', () => {
    expect(errorType(Object.assign(new TypeError('x'), { code: 'ALL_TARGETS_FAILED' }))).toBe(
      'ALL_TARGETS_FAILED',
    );
    expect(errorType(new TypeError('x'))).toBe('TypeError');
    expect(errorType('text')).toBe('_OTHER');
  });
});
