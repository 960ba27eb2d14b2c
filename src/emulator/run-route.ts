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

/** Options for {@link runRoute}. */
export type RunRouteOptions = {
  /** The deployed version to run. */
  route: DeployedRoute;
  /** The request's `cf-aig-metadata`, which `conditional` elements test. */
  metadata: Readonly<Record<string, unknown>> | undefined;
  /** Draws the fault for one try of a model (`provider/model`), or none. */
  take: (model: string) => Fault | undefined;
  /** Whether the gateway has a credential for a provider. */
  admit: (provider: string) => boolean;
  /** Sleeps `ms`; resolves false when the request went away first. */
  wait: (ms: number) => Promise<boolean>;
};

// A route is a graph; a malformed one could loop, and a request must still end.
const maxHops = 64;

/**
 * Runs a deployed route. A hang, or a delay of at least the element's timeout, fails a try after
 * the timeout; a status, reset or redirect fault fails it at once.
 */
export async function runRoute(options: RunRouteOptions): Promise<RouteOutcome> {
  const { elements } = options.route;
  const byId = new Map(elements.map((element) => [element.id, element]));
  const steps: RouteStep[] = [];
  let current = elements.find((element) => element.type === 'start');
  for (let hops = 0; current !== undefined && hops < maxHops; hops += 1) {
    const element: StoredElement = current;
    let output: string | undefined;
    if (element.type === 'model') {
      const outcome = await runModelElement({ ...options, element, steps });
      if (outcome !== undefined) return outcome;
      output = 'fallback';
    } else {
      output = nextOutput({ element, metadata: options.metadata });
    }
    if (output === undefined) return { ok: false, steps };
    const next = element.outputs[output]?.elementId;
    current = next === undefined ? undefined : byId.get(next);
  }
  return { ok: false, steps };
}

/** The output a routing element follows; `undefined` at `end` (or an unknown type). */
function nextOutput(options: {
  element: StoredElement;
  metadata: Readonly<Record<string, unknown>> | undefined;
}): string | undefined {
  const { element } = options;
  switch (element.type) {
    case 'start':
      return 'next';
    case 'conditional': {
      const conditions = element.properties?.['conditions'];
      return matchesConditions({ conditions, metadata: options.metadata }) ? 'true' : 'false';
    }
    case 'percentage':
      // Deterministic: the first branch (the emulator does not split traffic).
      return Object.keys(element.outputs)[0];
    case 'rate':
      return 'success';
    default:
      return undefined;
  }
}

/** One try of a model: it served (with a stream fault to play, or none), failed, or the request went away. */
type TryResult =
  | { readonly kind: 'served'; readonly fault: Fault | undefined }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'gone' };

/**
 * Tries a `model` element `1 + retries` times. Returns the outcome once a try serves (or the
 * request went away), or `undefined` when every try failed and the route falls back.
 */
async function runModelElement(
  options: RunRouteOptions & { element: StoredElement; steps: RouteStep[] },
): Promise<RouteOutcome | undefined> {
  const { element, steps } = options;
  const properties = element.properties ?? {};
  const provider = String(properties['provider']);
  const model = String(properties['model']);
  const label = `${provider}/${model}`;
  const tries = 1 + Math.max(0, Math.floor(Number(properties['retries']) || 0));
  const timeoutMs = Math.max(0, Number(properties['timeout']) || 0);
  for (let attempt = 1; attempt <= tries; attempt += 1) {
    const fault = options.take(label);
    const result = await tryModel({ ...options, fault, provider, timeoutMs });
    if (result.kind === 'gone') return { ok: false, steps };
    const step = { element: element.id, model: label, attempt };
    if (result.kind === 'failed') {
      steps.push({ ...step, outcome: 'failed', reason: result.reason });
      continue;
    }
    steps.push({ ...step, outcome: 'success' });
    return { ok: true, provider, model, fault: result.fault, steps };
  }
  return undefined;
}

async function tryModel(
  options: RunRouteOptions & { fault: Fault | undefined; provider: string; timeoutMs: number },
): Promise<TryResult> {
  const { fault, provider, timeoutMs } = options;
  if (!options.admit(provider)) {
    return { kind: 'failed', reason: `no credential for provider "${provider}"` };
  }
  if (fault === undefined || isStreamFaultType(fault)) return { kind: 'served', fault };
  if (fault.type === 'delay' && fault.ms < timeoutMs) {
    return (await options.wait(fault.ms)) ? { kind: 'served', fault: undefined } : { kind: 'gone' };
  }
  if (fault.type === 'hang' || fault.type === 'delay') {
    if (!(await options.wait(timeoutMs))) return { kind: 'gone' };
    return { kind: 'failed', reason: `no response within ${timeoutMs} ms` };
  }
  const reason = fault.type === 'status' ? `status ${fault.status}` : fault.type;
  return { kind: 'failed', reason };
}

/**
 * A fault that plays inside a stream once it has begun (`stream-*`, `malformed-chunk`): the try
 * counts as served, and the answer plays the fault.
 */
function isStreamFaultType(fault: Fault): boolean {
  return fault.type.startsWith('stream-') || fault.type === 'malformed-chunk';
}

/**
 * Whether `cf-aig-metadata` meets a `conditional` element's conditions:
 * `{"metadata.plan": {"$eq": "free"}}`-style, with `$eq` `$ne` `$in` `$and` `$or`.
 */
export function matchesConditions(options: {
  conditions: unknown;
  metadata: Readonly<Record<string, unknown>> | undefined;
}): boolean {
  const { conditions, metadata } = options;
  if (!isRecord(conditions)) return false;
  return Object.entries(conditions).every(([key, test]) => {
    const each = (item: unknown) => matchesConditions({ conditions: item, metadata });
    if (key === '$and' && Array.isArray(test)) return test.every(each);
    if (key === '$or' && Array.isArray(test)) return test.some(each);
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
