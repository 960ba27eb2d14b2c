/**
 * `createRouter(table)`: a drop-in for the parts of the `openai` client apps use. A call resolves
 * its model to a plan and sends its first attempt directly (`fast-path.ts`); only a failure
 * brings in the walk over targets with retries and fallback. No I/O at creation.
 */
import type OpenAI from 'openai';
import type { RouteTable } from '../config/route-table.ts';
import { RouterError } from '../errors.ts';
import { CallRegistry } from './call-registry.ts';
import { type ClientPool, createClientPool } from './client-pool.ts';
import { createHealthMemory, type HealthStore } from './health-memory.ts';
import { createRedisHealth } from './health-redis.ts';
import { createPlanResolver, toPublicPlan } from './resolve-plan.ts';
import { createResponsesApi } from './responses.ts';
import { toRouterPromise } from './router-promise.ts';
import { chatStream, runStream } from './run-stream.ts';
import { createSenders } from './send-request.ts';
import { withCallSignal } from './signal-fetch.ts';
import { type RouterState, runPlain } from './start-call.ts';
import type { Router, RouterOptions, RouterRequestOptions } from './types.ts';

/** Creates a router over a compiled config. Creates no client and opens no connection. */
export function createRouter(table: RouteTable, options: RouterOptions = {}): Router {
  const parts = createRouterParts({ table, options });
  const { state } = parts;
  // The current config: a call resolves its plan from the snapshot it starts with, so a reload
  // never changes a call in flight.
  let current = table;
  const router: Router = {
    responses: createResponsesApi({ state, pool: parts.pool }),
    chat: { completions: { create: createChatCompletions(parts) } },
    embeddings: { create: createEmbeddings(parts) },
    resolve: (model) => toPublicPlan(state.resolver.resolve(model)),
    aliases: () => Object.keys(current.aliases),
    reload: (next) => {
      reloadTable({ parts, previous: current, next });
      current = next;
    },
    config: () => current,
    close: () => closeRouter(parts),
  };
  return Object.freeze(router);
}

/** What a router is made of: its state, its client pool and senders, its health memory. */
type RouterParts = {
  readonly state: RouterState;
  readonly pool: ClientPool;
  readonly senders: ReturnType<typeof createSenders>;
  readonly health: HealthStore | undefined;
  /** Whether the router created the health store (and so closes it). */
  readonly ownHealth: boolean;
};

function createRouterParts(options: { table: RouteTable; options: RouterOptions }): RouterParts {
  const { table } = options;
  const routerOptions = options.options;
  const env =
    routerOptions.env ??
    (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ??
    {};
  // The call's signal and a stream's body activity reach fetch below the SDK.
  const pool = createClientPool({ env, fetch: withCallSignal(routerOptions.fetch) });
  const senders = createSenders(pool);
  const { health, ownHealth } = createHealth({ option: routerOptions.health, table });
  const state: RouterState = {
    resolver: createPlanResolver(table),
    closed: false,
    runtime: {
      hooks: routerOptions,
      health,
      now: routerOptions.now ?? Date.now,
      random: routerOptions.random ?? Math.random,
    },
    active: new CallRegistry(),
    signal: routerOptions.signal,
    tracing: routerOptions.tracing,
  };
  stopOnAbort(state);
  return { state, pool, senders, health, ownHealth };
}

/** `router.chat.completions.create`: plain or streamed, the SDK's signature. */
function createChatCompletions(parts: RouterParts): Router['chat']['completions']['create'] {
  const { senders, state } = parts;
  return ((
    params: OpenAI.Chat.ChatCompletionCreateParams,
    requestOptions?: RouterRequestOptions,
  ) => {
    // The options object is also where the call leaves its result for withRoute().
    if (params.stream === true) {
      const run = {
        state,
        params,
        requestOptions,
        operation: 'chat' as const,
        served: undefined,
        stream: senders.chatStream,
      };
      return toRouterPromise(runStream(run, chatStream), run);
    }
    const run = {
      state,
      params,
      requestOptions,
      operation: 'chat' as const,
      served: undefined,
      plain: senders.chat,
    };
    return toRouterPromise(runPlain(run), run);
  }) as Router['chat']['completions']['create'];
}

/** `router.embeddings.create`. */
function createEmbeddings(parts: RouterParts): Router['embeddings']['create'] {
  const { senders, state } = parts;
  return (params, requestOptions) => {
    const run = {
      state,
      params,
      requestOptions,
      operation: 'embeddings' as const,
      served: undefined,
      plain: senders.embeddings,
    };
    return toRouterPromise(runPlain(run), run);
  };
}

/** Swaps the config: new calls resolve from `next`; calls in flight keep theirs. */
function reloadTable(options: {
  parts: RouterParts;
  previous: RouteTable;
  next: RouteTable;
}): void {
  const { parts, previous, next } = options;
  const { state, health } = parts;
  if (state.closed) throw new RouterError('the router is closed', { code: 'ROUTER_CLOSED' });
  state.resolver = createPlanResolver(next);
  // Health carries over for upstreams that did not change; a changed one starts afresh.
  for (const name of Object.keys(previous.upstreams)) {
    if (!sameUpstream({ before: previous, after: next, name })) health?.forget(name);
  }
  parts.pool.retainGateways(new Set(Object.keys(next.gateways)));
}

/** Ends every call in flight with `ROUTER_CLOSED`, drops the clients, closes its own health store. */
async function closeRouter(parts: RouterParts): Promise<void> {
  const { state, health } = parts;
  state.closed = true;
  const reason = new RouterError('the router was closed', { code: 'ROUTER_CLOSED' });
  state.active.abortAll(reason);
  parts.pool.clear();
  if (parts.ownHealth) await health?.close?.();
}

/** The router's own signal, when it fires, stops every call in flight (later calls see it at start). */
function stopOnAbort(state: RouterState): void {
  const signal = state.signal;
  signal?.addEventListener(
    'abort',
    () => {
      state.active.abortAll(signal.reason);
    },
    { once: true },
  );
}

/** Whether an upstream, and the gateway it is on, are the same in two tables. */
function sameUpstream(options: { before: RouteTable; after: RouteTable; name: string }): boolean {
  const before = options.before.upstreams[options.name];
  const after = options.after.upstreams[options.name];
  if (before === undefined || after === undefined) return false;
  if (before.gateway !== after.gateway || before.model !== after.model) return false;
  const gatewayBefore = options.before.gateways[before.gateway];
  const gatewayAfter = options.after.gateways[after.gateway];
  return (
    gatewayBefore?.type === gatewayAfter?.type && gatewayBefore?.baseURL === gatewayAfter?.baseURL
  );
}

/** The router's health store, and whether the router made it (and so closes it). */
function createHealth(options: { option: RouterOptions['health']; table: RouteTable }): {
  health: HealthStore | undefined;
  ownHealth: boolean;
} {
  const { option, table } = options;
  if (option === false) return { health: undefined, ownHealth: false };
  if (option !== undefined && 'acquire' in option) return { health: option, ownHealth: false };
  if (table.health?.store === 'redis') {
    return {
      health: createRedisHealth({
        ...option,
        url: table.health.url.reveal(),
        prefix: table.health.prefix,
      }),
      ownHealth: true,
    };
  }
  return { health: createHealthMemory(option ?? {}), ownHealth: true };
}
