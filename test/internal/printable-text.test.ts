import { describe, expect, it } from 'vitest';
import { printableText, singleLineText } from '../../src/internal/printable-text.ts';

describe('printableText', () => {
  it('leaves clean text, tabs and line feeds alone', () => {
    const text = 'line one\n\tline two — ünïcode';
    expect(printableText(text)).toBe(text);
  });

  it('removes colour, cursor and title escapes with their parameters', () => {
    expect(printableText('\u001b[31mred\u001b[0m \u001b[2J\u001b[Hhome')).toBe('red home');
    expect(printableText('a\u001b]0;pwned title\u0007b')).toBe('ab');
    expect(printableText('a\u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\b')).toBe('alinkb');
  });

  it('removes other C0 and C1 controls and turns CR into LF', () => {
    expect(printableText('a\u0000b\u0008c\u007fd\u009be')).toBe('abcde');
    expect(printableText('one\r\ntwo\rthree')).toBe('one\ntwo\nthree');
  });
});

describe('singleLineText', () => {
  it('shows every line break as \\n so a value cannot forge a log line', () => {
    expect(singleLineText('gpt\n127.0.0.1 POST /v1/chat 200')).toBe(
      'gpt\\n127.0.0.1 POST /v1/chat 200',
    );
    expect(singleLineText('a\r\nb\rc\u2028d')).toBe('a\\nb\\nc\\nd');
  });

  it('strips escapes and controls as printableText does, tabs become spaces', () => {
    expect(singleLineText('\u001b[1mbold\u001b[22m\tx\u0007')).toBe('bold x');
  });
});
