/**
 * What `fetch` refuses in a header, checked at load time: a config that loads must not fail every
 * call inside `fetch` ("invalid header value"). Header values (configured headers, credentials
 * sent as `Bearer …`, options sent as `cf-aig-*` or attribution headers) must be Latin-1
 * (`ByteString`) without CR, LF or NUL once leading and trailing whitespace is stripped
 * (WHATWG Fetch, "normalize" and "header value":
 * https://fetch.spec.whatwg.org/#header-value; Web IDL ByteString:
 * https://webidl.spec.whatwg.org/#idl-ByteString). Header names are checked by the schema.
 */

/**
 * Why `fetch` would refuse `value` in a header, in words that never quote the value; undefined
 * when it is fine.
 */
export function headerValueProblem(value: string): string | undefined {
  // fetch first strips leading and trailing HTTP whitespace (a key read from a file often ends
  // with a newline): only what is left must be clean.
  const normalized = value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  for (let index = 0; index < normalized.length; index += 1) {
    const code = normalized.charCodeAt(index);
    if (code === 0x0d || code === 0x0a) return 'contains a line break (CR or LF)';
    if (code === 0) return 'contains a NUL character';
    if (code > 0xff) return `contains a character outside Latin-1 (at position ${index + 1})`;
  }
  return undefined;
}
