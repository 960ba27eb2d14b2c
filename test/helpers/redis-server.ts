/**
 * Starts a real `redis-server` (Debian's package; `.ci/run` installs it when missing) on a
 * loopback port, with no persistence. Tests that need it skip with a message when the binary
 * cannot be found on a developer's machine, and fail under CI, which must have it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

/** The redis-server binary, or undefined when this machine has none. */
export function findRedisServer(): string | undefined {
  const candidates = [
    ...(process.env['PATH'] ?? '').split(':').map((dir) => `${dir}/redis-server`),
    '/usr/bin/redis-server',
    '/usr/sbin/redis-server',
    '/usr/local/bin/redis-server',
  ];
  const found = candidates.find((path) => path.startsWith('/') && existsSync(path));
  if (found === undefined && process.env['CI'] !== undefined) {
    throw new Error('redis-server is missing: .ci/run installs it (apt-get install redis-server)');
  }
  return found;
}

/** Why Redis tests are skipped here, for `describe.skipIf`'s message. */
export const redisMissingMessage =
  'redis-server not found: the Redis health-store tests are skipped (apt-get install redis-server)';

/** A running redis-server. */
export type RedisServer = {
  readonly port: number;
  readonly url: string;
  /** Kills the server at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
};

/** A free loopback port (redis-server takes a number; port 0 would turn TCP off). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Starts redis-server on 127.0.0.1 and resolves once it accepts connections. */
export async function startRedisServer(binary: string): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const started = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const onData = (data: Buffer) => {
        output += data.toString();
        if (output.includes('Ready to accept connections')) resolve();
      };
      started.stdout?.on('data', onData);
      started.stderr?.on('data', onData);
      started.once('exit', (code) =>
        reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)),
      );
    });
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      const running = child;
      if (running === undefined || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
    },
    restart: start,
  };
}
