/**
 * Fault rules are checked as they are parsed: every mistake is a TypeError that says which
 * field is wrong and what it must be, so a typo never becomes a rule that silently does
 * something else.
 */
import { describe, expect, it } from 'vitest';
import { parseFault, parseFaultRule } from '../../src/emulator/parse-fault.ts';

describe('parseFault', () => {
  it.each([
    [null, 'A fault must be an object with a "type"'],
    [{ type: 'explode' }, 'Unknown fault type "explode" (known: status, reset, hang, delay, '],
    [{ type: 'reset', ms: 1 }, 'Unknown field "ms" for fault "reset" (allowed: none)'],
    [
      { type: 'stream-cut', afterChunk: 1 },
      'Unknown field "afterChunk" for fault "stream-cut" (allowed: afterChunks)',
    ],
    [
      { type: 'stream-cut', afterChunks: -1 },
      'Fault field "afterChunks" must be a non-negative integer',
    ],
    [{ type: 'stream-error', message: 5 }, 'Fault field "message" must be a string'],
    [{ type: 'stream-error', code: 5 }, 'Fault field "code" must be a string'],
    [
      { type: 'status', status: 500, code: 1.5 },
      'Fault field "code" must be a string or an integer',
    ],
    [{ type: 'error-200', code: 'x' }, 'Fault field "code" must be an integer'],
    [{ type: 'malformed-chunk', data: {} }, 'Fault field "data" must be a string'],
    [{ type: 'status' }, 'Fault "status" needs an integer "status" from 200 to 599'],
    [{ type: 'status', status: 600 }, 'Fault "status" needs an integer "status" from 200 to 599'],
    [
      { type: 'status', status: 429, headers: { 'retry-after': 2 } },
      'Fault field "headers" must be an object of string values',
    ],
    [{ type: 'keep-alive' }, 'Fault "keep-alive" needs "ms", a non-negative integer'],
    [
      { type: 'keep-alive', ms: 10, everyMs: 0 },
      'Fault field "everyMs" must be a positive integer',
    ],
    [{ type: 'delay', ms: 1.5 }, 'Fault "delay" needs "ms", a non-negative integer'],
    [{ type: 'stream-stall', ms: -5 }, 'Fault field "ms" must be a non-negative integer'],
    [
      { type: 'redirect', location: '/relative' },
      'Fault "redirect" needs "location", an absolute URL',
    ],
    [
      { type: 'redirect', location: 'http://127.0.0.1:1/', status: 200 },
      'Fault field "status" must be one of 301, 302, 303, 307, 308',
    ],
  ])('refuses %j', (value, message) => {
    expect(() => parseFault(value)).toThrow(TypeError);
    expect(() => parseFault(value)).toThrow(message);
  });

  it.each([
    { type: 'status', status: 429, code: 2003, headers: { 'retry-after': '2' } },
    { type: 'status', status: 400, code: 'context_length_exceeded', body: '<html>' },
    { type: 'error-200', code: 502 },
    { type: 'keep-alive', ms: 0, everyMs: 5 },
    { type: 'stream-stall', afterChunks: 0 },
    { type: 'redirect', location: 'http://127.0.0.1:1/x', status: 307 },
    { type: 'body-cut' },
  ])('accepts %j as it is', (value) => {
    expect(parseFault(value)).toEqual(value);
  });
});

describe('parseFaultRule', () => {
  it('keeps match, times and the fault', () => {
    const rule = {
      match: { model: 'm', path: '/chat', gateway: 'acct/gw', stream: true },
      times: 2,
      fault: { type: 'reset' },
    };
    expect(parseFaultRule(rule)).toEqual(rule);
  });

  it.each([
    [[], 'A fault rule must be an object with a "fault"'],
    [
      { fault: { type: 'reset' }, when: 1 },
      'Unknown field "when" in fault rule (allowed: match, times, fault)',
    ],
    [{ fault: { type: 'reset' }, times: 1.5 }, 'Fault rule "times" must be a non-negative integer'],
    [{ fault: { type: 'reset' }, match: 'x' }, 'Fault rule "match" must be an object'],
    [
      { fault: { type: 'reset' }, match: { model: 1 } },
      'Fault rule match "model" must be a string',
    ],
    [
      { fault: { type: 'reset' }, match: { stream: 'yes' } },
      'Fault rule match "stream" must be a boolean',
    ],
    [
      { fault: { type: 'reset' }, match: { host: 'x' } },
      'Unknown field "host" in fault rule match (allowed: model, path, gateway, stream)',
    ],
  ])('refuses %j', (value, message) => {
    expect(() => parseFaultRule(value)).toThrow(message);
  });
});
