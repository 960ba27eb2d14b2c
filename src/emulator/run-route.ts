/**
 * A deployed dynamic route, run in the emulator: from `start`, a `model` element tries its
 * model `1 + retries` times (the emulator's faults apply to each try), then follows `success`
 * or `fallback`; a `conditional` element follows `true` or `false` by the request's metadata; a
 * `percentage` element always takes its first branch and a `rate` element always passes (the
 * emulator neither splits traffic nor counts); reaching `end` without an answer fails the route.
 * The element shapes are in dynamic-routes.ts, with their source.
 */
import type { DeployedRoute, StoredElement } from './dynamic-routes.ts';
import type { Fault } from './faults.ts';
import { isRecord } from './is-record.ts';

/** One try of a `model` element, as the request log records it. */
export type RouteStep = {
  /** The element's id. */
  readonly element: string;
  /** `provider/model`. */
  readonly model: string;
  /** 1-based try. */
  readonly attempt: number;
  readonly outcome: 'success' | 'failed';
  /** Why a try failed. */
  readonly reason?: string;
};

/** What running a route decided. */
export type RouteOutcome =
  | {
      readonly ok: true;
      readonly provider: string;
      readonly model: string;
      /** A stream fault to play in the answer (the route committed when the stream started). */
      readonly fault: Fault | undefined;
      readonly steps: readonly RouteStep[];
    }
  | { readonly ok: false; readonly steps: readonly RouteStep[] };

/**
 * Runs a deployed route. `take` draws the fault for one try of a model (or none); `admit` says
 * whether the gateway has a credential for a provider; `wait` sleeps (false when the request
 * went away). A hang, or a delay of at least the element's timeout, fails the try after the
 * timeout; a status, reset or redirect fault fails it at once.
 */
export async function runRoute(options: {
  route: DeployedRoute;
  metadata: Readonly<Record<string, unknown>> | undefined;
  take: (model: string) => Fault | undefined;
  admit: (provider: string) => boolean;
  wait: (ms: number) => Promise<boolean>;
}): Promise<RouteOutcome> {
  const byId = new Map(options.route.elements.map((element) => [element.id, element]));
  const steps: RouteStep[] = [];
  let current = options.route.elements.find((element) => element.type === 'start');
  for (let hops = 0; current !== undefined && hops < 64; hops += 1) {
    const element: StoredElement = current;
    const go = (output: string) => {
      const next = element.outputs[output]?.elementId;
      current = next === undefined ? undefined : byId.get(next);
    };
    switch (element.type) {
      case 'start':
        go('next');
        break;
      case 'end':
        return { ok: false, steps };
      case 'conditional':
        go(matches(element.properties?.['conditions'], options.metadata) ? 'true' : 'false');
        break;
      case 'percentage':
        // Deterministic: the first branch (the emulator does not split traffic).
        current = byId.get(Object.values(element.outputs)[0]?.elementId ?? '');
        break;
      case 'rate':
        go('success');
        break;
      case 'model': {
        const properties = element.properties ?? {};
        const provider = String(properties['provider']);
        const model = String(properties['model']);
        const label = `${provider}/${model}`;
        const tries = 1 + Math.max(0, Math.floor(Number(properties['retries']) || 0));
        const timeoutMs = Math.max(0, Number(properties['timeout']) || 0);
        let served: Fault | undefined | false = false;
        for (let attempt = 1; attempt <= tries; attempt += 1) {
          const fault = options.take(label);
          const failed = (reason: string) =>
            steps.push({ element: element.id, model: label, attempt, outcome: 'failed', reason });
          if (!options.admit(provider)) {
            failed(`no credential for provider "${provider}"`);
            continue;
          }
          if (fault === undefined || isStreamFaultType(fault)) {
            served = fault;
          } else if (fault.type === 'delay' && fault.ms < timeoutMs) {
            if (!(await options.wait(fault.ms))) return { ok: false, steps };
            served = undefined;
          } else if (fault.type === 'hang' || fault.type === 'delay') {
            if (!(await options.wait(timeoutMs))) return { ok: false, steps };
            failed(`no response within ${timeoutMs} ms`);
            continue;
          } else {
            failed(fault.type === 'status' ? `status ${fault.status}` : fault.type);
            continue;
          }
          steps.push({ element: element.id, model: label, attempt, outcome: 'success' });
          return { ok: true, provider, model, fault: served, steps };
        }
        go('fallback');
        break;
      }
      default:
        return { ok: false, steps };
    }
  }
  return { ok: false, steps };
}

function isStreamFaultType(fault: Fault): boolean {
  return fault.type.startsWith('stream-') || fault.type === 'malformed-chunk';
}

/** `{"metadata.plan": {"$eq": "free"}}`-style conditions, `$eq` `$ne` `$in` `$and` `$or`. */
function matches(
  conditions: unknown,
  metadata: Readonly<Record<string, unknown>> | undefined,
): boolean {
  if (!isRecord(conditions)) return false;
  return Object.entries(conditions).every(([key, test]) => {
    if (key === '$and' && Array.isArray(test)) return test.every((item) => matches(item, metadata));
    if (key === '$or' && Array.isArray(test)) return test.some((item) => matches(item, metadata));
    const value = key.startsWith('metadata.')
      ? metadata?.[key.slice('metadata.'.length)]
      : undefined;
    if (!isRecord(test)) return value === test;
    if ('$eq' in test) return value === test['$eq'];
    if ('$ne' in test) return value !== test['$ne'];
    if ('$in' in test && Array.isArray(test['$in'])) return test['$in'].includes(value);
    return false;
  });
}
