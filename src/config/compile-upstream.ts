/**
 * One upstream (a named model on a gateway, or an inline `<gateway>:<model>` target) compiled:
 * its gateway's checks (from the gateway module), its options and params, and its kind.
 */
import { metadataOverflow } from '../gateways/cloudflare-config.ts';
import type { ConfigPath, ReportIssue } from '../gateways/config-issues.ts';
import { gatewayAdapters } from '../gateways/index.ts';
import { compileParams, compileTargetOptions } from './compile-options.ts';
import type { Upstream } from './config.generated.ts';
import type { GatewayRoute, UpstreamRoute } from './route-table.ts';

/** Options of {@link compileUpstream}. */
export type CompileUpstreamOptions = {
  /** The upstream's name (`<gateway>:<model>` for inline targets). */
  name: string;
  /** Where it is in the config. */
  path: ConfigPath;
  gateway: GatewayRoute;
  model: string;
  /** The upstream as written (empty for an inline target). */
  input: Partial<Upstream>;
  report: ReportIssue;
};

/** A compiled, frozen upstream, or undefined after reporting why its model cannot be used. */
export function compileUpstream(options: CompileUpstreamOptions): UpstreamRoute | undefined {
  const { name, path, gateway, model, input, report } = options;
  const modelPath = input.model === undefined ? path : [...path, 'model'];
  const checked = gatewayAdapters[gateway.type].checkUpstream({
    name,
    model,
    modelPath,
    gateway,
    report,
  });
  if (checked === undefined) return undefined;
  const upstreamOptions = compileTargetOptions({
    input: input.options,
    path: [...path, 'options'],
    types: [gateway.type],
    scope: `upstream "${name}"`,
    report,
  });
  const metadataCount = metadataOverflow([gateway.options, upstreamOptions]);
  if (metadataCount !== undefined) {
    report(
      'INVALID_VALUE',
      [...path, 'options', 'metadata'],
      `metadata has ${metadataCount} entries after merging with gateway "${gateway.name}"; Cloudflare keeps at most 5`,
    );
  }
  // Declared, else inferred from the model string: embedding models say so in their names
  // (text-embedding-3-small, mistral-embed, nomic-embed-text); anything else serves either.
  const kind = input.kind ?? (/embed/i.test(model) ? 'embeddings' : undefined);
  return Object.freeze({
    name,
    gateway: gateway.name,
    model,
    ...(kind === undefined ? {} : { kind }),
    ...(checked.provider === undefined ? {} : { provider: checked.provider }),
    params: compileParams({ input: input.params, path: [...path, 'params'], report }),
    options: upstreamOptions,
    ...(input.contextWindow === undefined ? {} : { contextWindow: input.contextWindow }),
    ...(input.maxOutputTokens === undefined ? {} : { maxOutputTokens: input.maxOutputTokens }),
    ...(input.price === undefined
      ? {}
      : {
          price: Object.freeze({
            input: input.price.input,
            output: input.price.output,
            cachedInput: input.price.cachedInput ?? input.price.input,
          }),
        }),
  });
}
