/**
 * One gateway of a config, compiled: what every gateway has (checked credentials, extra headers,
 * a base URL) here, and what its type adds (endpoint path, auth, options) from its gateway
 * module in `src/gateways/`.
 */
import type { ConfigPath, ReportIssue } from '../gateways/config-issues.ts';
import { checkHeaderValue } from '../gateways/config-issues.ts';
import { gatewayAdapters } from '../gateways/index.ts';
import { freezeRecord } from '../internal/freeze.ts';
import { Secret } from '../secret.ts';
import { compileTargetOptions } from './compile-options.ts';
import type { Gateway } from './config.generated.ts';
import type { GatewayRoute } from './route-table.ts';

const reservedHeaders = new Set(['authorization', 'cf-aig-authorization']);

/** Options of {@link compileGateway}. */
export type CompileGatewayOptions = {
  /** The gateway's name in the config. */
  name: string;
  /** The gateway as written (schema-valid). */
  input: Gateway;
  report: ReportIssue;
};

/** A compiled, frozen gateway, or undefined after reporting why it cannot be used. */
export function compileGateway(options: CompileGatewayOptions): GatewayRoute | undefined {
  const { name, input, report } = options;
  const path = ['gateways', name];
  const adapter = gatewayAdapters[input.type];
  adapter.checkCredentials({ input, path, report });
  const headers = compileHeaders({ input, path, credentialKeys: adapter.credentialKeys, report });
  const url = parseBaseURL({
    value: input.baseURL ?? adapter.defaultBaseURL(input),
    path: [...path, 'baseURL'],
    report,
  });
  if (url === undefined) return undefined;
  const parts = adapter.compileGateway({
    name,
    input,
    path,
    baseURL: url.href.replace(/\/+$/, ''),
    report,
    compileOptions: (optionsInput) =>
      compileTargetOptions({
        input: optionsInput,
        path: [...path, 'options'],
        types: [input.type],
        scope: `gateway "${name}"`,
        report,
      }),
  });
  if (parts === undefined) return undefined;
  return Object.freeze({
    name,
    type: input.type,
    baseURL: parts.baseURL,
    origin: url.origin,
    auth: Object.freeze(parts.auth),
    headers,
    options: parts.options,
    ...(parts.cloudflare === undefined ? {} : { cloudflare: parts.cloudflare }),
  });
}

/** The gateway's `headers`, each a secret; credentials belong in their own keys. */
function compileHeaders(options: {
  input: Gateway;
  path: ConfigPath;
  credentialKeys: string;
  report: ReportIssue;
}): Readonly<Record<string, Secret | string>> {
  const { input, path, report } = options;
  // Null prototype: a header named `__proto__` is data, not a prototype swap.
  const headers: Record<string, Secret | string> = Object.create(null);
  for (const [header, value] of Object.entries(input.headers ?? {})) {
    if (reservedHeaders.has(header.toLowerCase())) {
      report(
        'INVALID_VALUE',
        [...path, 'headers', header],
        `header "${header}" carries credentials; set them with ${options.credentialKeys} instead`,
        true,
      );
      continue;
    }
    checkHeaderValue({
      value,
      path: [...path, 'headers', header],
      what: `the value of header "${header}"`,
      report,
    });
    headers[header.toLowerCase()] = new Secret(value as string);
  }
  return freezeRecord(headers);
}

/** Options of {@link parseBaseURL}. */
export type ParseBaseURLOptions = { value: string; path: ConfigPath; report: ReportIssue };

/** A gateway's base URL: http(s), no credentials, no query or fragment; else reported. */
export function parseBaseURL(options: ParseBaseURLOptions): URL | undefined {
  const { value, path, report } = options;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    report('INVALID_VALUE', path, 'is not a valid URL; write e.g. https://gateway.example.com');
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    report('INVALID_VALUE', path, 'must be an http:// or https:// URL');
    return undefined;
  }
  if (url.username !== '' || url.password !== '') {
    report(
      'INVALID_VALUE',
      path,
      'must not contain credentials (user:password@); use apiKey, auth or headers',
    );
    return undefined;
  }
  if (url.search !== '' || url.hash !== '') {
    report('INVALID_VALUE', path, 'must not have a query or fragment');
    return undefined;
  }
  return url;
}
