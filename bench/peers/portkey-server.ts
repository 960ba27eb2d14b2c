/**
 * Starts Portkey's open-source gateway (`@portkey-ai/gateway`, its published Node build) on
 * 127.0.0.1 in a child process: `--headless`, loopback only (see loopback-only.ts).
 */

import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Child, startNodeChild, waitForHttp } from '../lib/processes.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** A free port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Path of the gateway's start script, resolved from bench/node_modules. */
export function portkeyEntry(): string {
  const require = createRequire(join(here, '..', 'package.json'));
  return join(
    dirname(require.resolve('@portkey-ai/gateway/package.json')),
    'build',
    'start-server.js',
  );
}

/** Starts the gateway and waits until it answers. */
export async function startPortkey(options: { cpu?: number | undefined }): Promise<Child> {
  const port = await freePort();
  const child = await startNodeChild({
    args: [
      '--import',
      join(here, 'loopback-only.ts'),
      '--import',
      join(here, 'portkey-stream-fix.ts'),
      '--import',
      join(here, 'keep-alive.ts'),
      portkeyEntry(),
      `--port=${port}`,
      '--headless',
    ],
    cpu: options.cpu,
    env: { ...process.env, NODE_ENV: 'production' },
    readyPattern: /(Ready for connections)/,
    timeoutMs: 30_000,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(url);
  return { ...child, url };
}
