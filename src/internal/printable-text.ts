/**
 * Text that came from outside the process (an upstream's error message, a `model` value a client
 * sent, an API's answer) is made safe before it reaches a terminal or a log line: an ANSI escape
 * could repaint the operator's terminal, and a newline in a log line forges a line of its own.
 */

// CSI (ESC [ … final byte) and OSC (ESC ] … BEL or ESC \) sequences first, so their parameters
// go with them; then any other C0 control, DEL and the C1 range.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const escapeSequence = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const controlCharacter = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const lineBreak = /\r\n|[\r\n\u2028\u2029]/g;

/**
 * `text` without escape sequences or control characters; tabs and line feeds are kept, so a
 * multi-line message still reads as one. Use it for anything printed to a terminal.
 */
export function printableText(text: string): string {
  if (!needsCleaning(text)) return text;
  return text.replace(escapeSequence, '').replace(/\r\n?/g, '\n').replace(controlCharacter, '');
}

/**
 * `text` as one log line: what {@link printableText} removes, and every line break shown as
 * `\n`, so an outside value cannot start a line of its own.
 */
export function singleLineText(text: string): string {
  if (!needsCleaning(text) && !/[\n\u2028\u2029]/.test(text)) return text;
  return text
    .replace(escapeSequence, '')
    .replace(lineBreak, '\\n')
    .replace(/\t/g, ' ')
    .replace(controlCharacter, '');
}

// Most text is clean: one scan instead of three replaces.
function needsCleaning(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      if (code !== 0x0a && code !== 0x09) return true;
    }
  }
  return false;
}
