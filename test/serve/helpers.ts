/**
 * Shared set-up for `switchyard serve` tests: the emulator as the upstream, a config with a
 * primary and a backup on it, a router, and the serve handler on a real `node:http` server on
 * 127.0.0.1. Clients under test talk HTTP to that server; nothing is mocked.
 */
import { parseConfig } from '../../src/config/parse-config.ts';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../src/emulator/index.ts';
import { createRouter } from '../../src/router/create-router.ts';
import type { Router, RouterOptions } from '../../src/router/types.ts';
import { createServeHandler, type ServeHandlerOptions } from '../../src/serve/create-handler.ts';
import {
  type NodeServer,
  type StartNodeServerOptions,
  startNodeServer,
} from '../../src/serve/node-server.ts';

/** The upstream key the config sends; a test proves it never reaches a serve client. */
export const upstreamKey = 'sk-upstream-secret-Q9';

/** The config: `fast` = primary then backup, one attempt each; `embed` for embeddings. */
export function serveConfigYaml(emulatorURL: string): string {
  return `
version: 1
gateways:
  local:
    type: openai-compatible
    baseURL: ${emulatorURL}/v1
    apiKey: \${UPSTREAM_KEY}
upstreams:
  primary: { gateway: local, model: primary-model }
  backup: { gateway: local, model: backup-model }
  embedder: { gateway: local, model: embed-model }
models:
  fast:
    targets: [primary, backup]
    retry: { attempts: 1 }
    timeout: 20s
  embed: embedder
`;
}

/** A running serve stack. */
export type ServeStack = {
  emulator: Emulator;
  router: Router;
  server: NodeServer;
  /** `http://127.0.0.1:<port>/v1`, the OpenAI base URL. */
  baseURL: string;
  close(): Promise<void>;
};

/** Starts the emulator, a router over it and serve in front of it. */
export async function startServeStack(
  options: {
    emulator?: EmulatorOptions;
    router?: RouterOptions;
    handler?: Omit<ServeHandlerOptions, 'router'>;
    server?: Omit<StartNodeServerOptions, 'handler'>;
    /** The config; @default serveConfigYaml */
    yaml?: (emulatorURL: string) => string;
  } = {},
): Promise<ServeStack> {
  const emulator = await startEmulator({ apiKeys: [upstreamKey], ...options.emulator });
  const table = parseConfig((options.yaml ?? serveConfigYaml)(emulator.url), {
    file: 'config.yaml',
    env: { UPSTREAM_KEY: upstreamKey },
  });
  const router = createRouter(table, { env: {}, health: false, ...options.router });
  const server = await startNodeServer({
    handler: createServeHandler({ router, ...options.handler }),
    ...options.server,
  });
  return {
    emulator,
    router,
    server,
    baseURL: `${server.url}/v1`,
    async close() {
      await server.close({ graceMs: 1_000 });
      await router.close();
      await emulator.close();
    },
  };
}
