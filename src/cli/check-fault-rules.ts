/**
 * Fault rules for `switchyard emulate` that can never match a request are refused before the
 * emulator starts, with what to write instead: a gateway written as its config name rather than
 * `accountId/gatewayId`, an upstream or alias name where the model string is matched, a stream
 * fault limited to non-streaming requests. Silently ignoring them would make a test "pass"
 * without the failure it meant to inject.
 */
import type { RouteTable } from '../config/route-table.ts';
import type { FaultRule } from '../emulator/index.ts';
import { gatewayAdapters } from '../gateways/index.ts';
import { emulatedGateways } from './emulated-gateways.ts';

/** Route kinds and personalities a rule's `match.gateway` may name. */
const routeNames = ['cloudflare', 'openai-compatible', 'openrouter', 'vercel', 'openai'];

const streamOnly = new Set(['stream-cut', 'stream-error', 'stream-stall', 'stream-no-done']);
for (const type of ['malformed-chunk', 'keep-alive', 'finish-error']) streamOnly.add(type);

/** Options of {@link faultRuleProblems}. */
export type FaultRuleProblemsOptions = {
  /** The rules, in order. */
  rules: readonly FaultRule[];
  /** Where each rule came from (`--fault`, a file name), same order. */
  sources: readonly string[];
  /** The config the emulator serves, when one was given. */
  table: RouteTable | undefined;
};

/** Every rule that can never match, described with the fix; empty when all can match. */
export function faultRuleProblems(options: FaultRuleProblemsOptions): string[] {
  const { table } = options;
  const problems: string[] = [];
  const cloudflare = table === undefined ? undefined : Object.keys(emulatedGateways(table));
  const models = new Set(Object.values(table?.upstreams ?? {}).map((upstream) => upstream.model));
  for (const [index, rule] of options.rules.entries()) {
    const where = `${options.sources[index] ?? '--fault'}: fault rule ${index + 1}`;
    const match = rule.match ?? {};
    const gateway = match.gateway;
    if (gateway !== undefined && !routeNames.includes(gateway)) {
      const named = table?.gateways[gateway];
      if (named !== undefined && Object.hasOwn(table?.gateways ?? {}, gateway)) {
        const instead = gatewayAdapters[named.type].emulatorRouteName(named);
        problems.push(
          `${where}: match.gateway "${gateway}" is a gateway name in the config, which requests do not carry; write "${instead}"`,
        );
      } else if (!/^[^/]+\/[^/]+$/.test(gateway)) {
        problems.push(
          `${where}: match.gateway "${gateway}" can never match; write a Cloudflare gateway as accountId/gatewayId or one of ${routeNames.join(', ')}`,
        );
      } else if (cloudflare !== undefined && !cloudflare.includes(gateway)) {
        problems.push(
          `${where}: match.gateway "${gateway}" is not a Cloudflare gateway of the config (${cloudflare.length === 0 ? 'it has none' : `it has: ${cloudflare.join(', ')}`})`,
        );
      }
    }
    const model = match.model;
    if (model !== undefined && table !== undefined && !models.has(model)) {
      const upstream = Object.hasOwn(table.upstreams, model) ? table.upstreams[model] : undefined;
      const alias = Object.hasOwn(table.aliases, model);
      if (upstream !== undefined || alias) {
        problems.push(
          `${where}: match.model "${model}" is ${upstream === undefined ? 'an alias' : 'an upstream'} name; requests carry the model string${upstream === undefined ? ' of each target' : ` ("${upstream.model}")`}`,
        );
      }
    }
    if (match.stream === false && streamOnly.has(rule.fault.type)) {
      problems.push(
        `${where}: fault "${rule.fault.type}" plays inside a stream, but match.stream is false`,
      );
    }
    if (match.stream === true && rule.fault.type === 'body-cut') {
      problems.push(
        `${where}: fault "body-cut" plays on non-streaming requests, but match.stream is true`,
      );
    }
  }
  return problems;
}
