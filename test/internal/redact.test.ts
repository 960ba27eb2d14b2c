/**
 * The redaction module: longest secret first, errors blanked in place all the way down (message,
 * stack, cause chain, APIError fields and headers), copies for logs.
 */
import { inspect } from 'node:util';
import { APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { createRedactor, redactText, secretList } from '../../src/internal/redact.ts';

describe('secretList', () => {
  it('keeps each secret long enough once, longest first', () => {
    expect(secretList(['abcd', 'ab', 'abcdefgh', 'abcd', 'xyz1'])).toEqual([
      'abcdefgh',
      'abcd',
      'xyz1',
    ]);
    expect(secretList([])).toEqual([]);
  });

  it('adds the URL-encoded forms of a secret that encoding changes, once per list', () => {
    expect(secretList(['sk-a+b/c=d'])).toEqual([
      'sk-a%2Bb%2Fc%3Dd',
      'sk-a%2bb%2fc%3dd',
      'sk-a+b/c=d',
      'sk-a b/c=d',
    ]);
    // The usual key (letters, digits, - and _) has no other form: nothing more to search for.
    expect(secretList(['sk-proj_AbC-123'])).toEqual(['sk-proj_AbC-123']);
    // Form encoding escapes more than encodeURIComponent, and writes a space as +.
    expect(secretList(["pass word~!'()"])).toContain('pass+word%7E%21%27%28%29');
  });
});

describe('redactText', () => {
  it('blanks a secret that contains another whole, whatever the order given', () => {
    expect(redactText('key=abcdefgh', ['abcd', 'abcdefgh'])).toBe('key=[redacted]');
    expect(redactText('key=abcdefgh', ['abcdefgh', 'abcd'])).toBe('key=[redacted]');
    expect(redactText('a abcd b', ['abcd', 'abcdefgh'])).toBe('a [redacted] b');
  });

  it('blanks a secret echoed URL-encoded, in every form', () => {
    const secret = 'k3y+with/slash=';
    const echoed = `a=${encodeURIComponent(secret)} b=${encodeURIComponent(secret).toLowerCase()} c=${new URLSearchParams({ c: secret }).toString().slice(2)} d=${secret.replaceAll('+', ' ')}`;
    expect(redactText(echoed, [secret])).toBe(
      'a=[redacted] b=[redacted] c=[redacted] d=[redacted]',
    );
  });

  it('leaves very short values alone (they would garble ordinary text)', () => {
    expect(redactText('a b c', ['a', 'b'])).toBe('a b c');
  });
});

describe('Redactor.inPlace', () => {
  const secret = 'sk-REDACT-test-5e1f';
  const redactor = createRedactor([secret]);

  it('blanks an APIError: message, stack, body, param, code, type, requestID and headers', () => {
    const headers = new Headers({
      'x-request-id': `req-${secret}`,
      'www-authenticate': `Bearer realm="${secret}"`,
    });
    const body = { message: `bad key ${secret}`, param: secret, code: secret, type: secret };
    const error = APIError.generate(401, { error: body }, undefined, headers);
    redactor.inPlace(error);
    const text = [
      inspect(error, { showHidden: true, depth: Infinity }),
      JSON.stringify(error),
      error.stack,
      [...(error.headers ?? new Headers())].join(),
    ].join('\n');
    expect(text).not.toContain(secret);
    expect(error.message).toContain('[redacted]');
    expect(error.requestID).toBe('req-[redacted]');
    expect(error.param).toBe('[redacted]');
    expect(error.headers?.get('www-authenticate')).toBe('Bearer realm="[redacted]"');
  });

  it('follows the whole cause chain, including causes that are not errors', () => {
    const inner = new Error(`inner ${secret}`);
    const middle = new Error('middle', { cause: { detail: [`deep ${secret}`], inner } });
    const outer = new Error('outer', { cause: middle });
    redactor.inPlace(outer);
    expect(inspect(outer, { showHidden: true, depth: Infinity })).not.toContain(secret);
    expect(inner.message).toBe('inner [redacted]');
  });

  it('survives cycles and leaves frozen objects as they are', () => {
    const looped: Record<string, unknown> = { text: secret };
    looped['self'] = looped;
    redactor.inPlace(looped);
    expect(looped['text']).toBe('[redacted]');
    const frozen = Object.freeze({ text: secret });
    expect(() => redactor.inPlace(frozen)).not.toThrow();
  });
});

describe('Redactor.copy', () => {
  it('returns a blanked copy and leaves the original untouched (for logs)', () => {
    const secret = 'sk-REDACT-copy-77aa';
    const original = {
      headers: new Headers({ authorization: `Bearer ${secret}` }),
      list: [secret],
    };
    const copy = createRedactor([secret]).copy(original);
    expect(JSON.stringify(copy)).not.toContain(secret);
    expect(original.list[0]).toBe(secret);
  });

  it("copies an error with its stack blanked, the original's untouched", () => {
    const secret = 'sk-REDACT-stack-91cd';
    // The stack as V8 formatted it, with the message of that moment, plus a frame that names it.
    const original = new Error(`bad key ${secret}`);
    original.stack = `Error: bad key ${secret}\n    at call (file:///app/${secret}.js:1:1)`;
    const copy = createRedactor([secret]).copy(original) as Error;
    expect(copy.message).toBe('bad key [redacted]');
    expect(copy.stack).toBe(
      'Error: bad key [redacted]\n    at call (file:///app/[redacted].js:1:1)',
    );
    expect(original.stack).toContain(secret);
  });
});
