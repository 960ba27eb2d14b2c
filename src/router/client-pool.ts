/**
 * One `openai` client per gateway and credential, created on first use and reused. Every client
 * is built so that only its own gateway's settings reach the wire: `maxRetries: 0` (the router
 * owns retries), explicit `apiKey` and `baseURL`, `organization`/`project` null (no
 * `OPENAI_ORG_ID`/`OPENAI_PROJECT_ID` leak), headers from `OPENAI_CUSTOM_HEADERS` removed, and
 * redirects not followed (a credentialed request never moves to another origin). Each client
 * logs through a logger that blanks its secrets: the SDK's own redaction (`OPENAI_LOG=debug`)
 * knows `authorization`-like header names, not a gateway's custom secret headers.
 */
import OpenAI from 'openai';
import { type ClientSetup, noKeyPlaceholder } from '../gateways/types.ts';
import { redactorFor } from '../internal/redact.ts';
import type { Fetch } from './types.ts';

/** Options of {@link createClientPool}. */
export type ClientPoolOptions = {
  fetch?: Fetch;
  env: Readonly<Record<string, string | undefined>>;
};

/** The pool. */
export type ClientPool = {
  /** The client for a setup, created on first use. */
  get(setup: ClientSetup): OpenAI;
  /** How many clients exist. */
  readonly size: number;
  /** Drops the clients of gateways not in `names` (after a reload). */
  retainGateways(names: ReadonlySet<string>): void;
  /** Drops every client. */
  clear(): void;
};

/** The SDK's own per-request timeout, in ms: a day and a minute (a config's durations stop at a day). */
const clientTimeoutMs = 86_460_000;

/** Creates an empty pool. */
export function createClientPool(options: ClientPoolOptions): ClientPool {
  // Keyed by the client's whole configuration, so a reload that changes a gateway's key or URL
  // gets a new client while calls in flight keep the old one.
  const clients = new Map<string, { gateway: string; client: OpenAI }>();
  // The hot path: a resolved plan keeps its setup objects, so a call finds its client by identity.
  let bySetup = new WeakMap<ClientSetup, OpenAI>();
  return {
    get(setup) {
      const known = bySetup.get(setup);
      if (known !== undefined) return known;
      const key = JSON.stringify([setup.key, setup.baseURL, setup.apiKey, setup.defaultHeaders]);
      let client = clients.get(key)?.client;
      if (client === undefined) {
        client = createClient({ setup, env: options.env, fetch: options.fetch });
        clients.set(key, { gateway: setup.gateway, client });
      }
      bySetup.set(setup, client);
      return client;
    },
    get size() {
      return clients.size;
    },
    retainGateways(names) {
      for (const [key, entry] of clients) {
        if (!names.has(entry.gateway)) clients.delete(key);
      }
    },
    clear() {
      clients.clear();
      bySetup = new WeakMap();
    },
  };
}

/** One gateway's client: only its own settings reach the wire (see the module comment). */
function createClient(options: {
  setup: ClientSetup;
  env: ClientPoolOptions['env'];
  fetch: Fetch | undefined;
}): OpenAI {
  const { setup } = options;
  // The SDK reads OPENAI_CUSTOM_HEADERS from the real process environment when a client is
  // built, whatever `env` the router was given: read both, at that same moment.
  const live = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  const neutralised: Record<string, string | null> = {};
  for (const source of [options.env['OPENAI_CUSTOM_HEADERS'], live?.['OPENAI_CUSTOM_HEADERS']]) {
    for (const name of parseCustomHeaderNames(source)) neutralised[name] = null;
  }
  // The SDK applies OPENAI_CUSTOM_HEADERS after its own auth header, so an Authorization
  // there would replace this gateway's key: restate the key instead of removing it.
  if ('authorization' in neutralised && setup.apiKey !== noKeyPlaceholder) {
    neutralised['authorization'] = `Bearer ${setup.apiKey}`;
  }
  return new OpenAI({
    apiKey: setup.apiKey,
    baseURL: setup.baseURL,
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    maxRetries: 0,
    // The router's own timers end attempts; the SDK's timeout is only a backstop, set once
    // here (just above the longest duration a config allows) rather than on every request.
    timeout: clientTimeoutMs,
    defaultHeaders: { ...neutralised, ...setup.defaultHeaders },
    fetchOptions: { redirect: 'manual' },
    logger: scrubbingLogger(setup.secrets),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
}

/** Header names the SDK would add from `OPENAI_CUSTOM_HEADERS` (`Name: value` lines). */
function parseCustomHeaderNames(value: string | undefined): string[] {
  if (value === undefined || value === '') return [];
  return value
    .split('\n')
    .filter((line) => line.includes(':'))
    .map((line) => line.slice(0, line.indexOf(':')).trim().toLowerCase())
    .filter((name) => name !== '');
}

type LogMethod = 'error' | 'warn' | 'info' | 'debug';

/**
 * A logger for the SDK that writes to `console` with every occurrence of `secrets` replaced by
 * `[redacted]`, in strings and inside the objects the SDK logs (request details, headers).
 */
function scrubbingLogger(
  secrets: readonly string[],
): Record<LogMethod, (...args: unknown[]) => void> {
  const redactor = redactorFor(secrets);
  const method =
    (name: LogMethod) =>
    (...args: unknown[]) => {
      console[name](...args.map((arg) => redactor.copy(arg)));
    };
  return {
    error: method('error'),
    warn: method('warn'),
    info: method('info'),
    debug: method('debug'),
  };
}
