/**
 * Child processes of a run: the mock upstream and Portkey's gateway, each in its own process,
 * pinned to a core with `taskset` where the machine has one and more than one core.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Where the processes of a run are pinned (empty when not pinned). */
export type Pinning = { client?: number; mock?: number; gateway?: number };

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * The layout used on this machine: client (and in-process router) on core 0; the mock, and the
 * out-of-process gateway under test, on core 1. Nothing is pinned on a single core.
 */
export function pinning(): Pinning {
  if (!hasTaskset || availableParallelism() < 2) return {};
  return { client: 0, mock: 1, gateway: 1 };
}

/** A started child: its origin (or undefined when it prints none) and a way to stop it. */
export type Child = {
  readonly url: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
};

/** Starts `node <args>` (pinned to `cpu` when given) and waits for a `READY <url>` line. */
export async function startNodeChild(options: {
  args: readonly string[];
  cpu?: number | undefined;
  env?: NodeJS.ProcessEnv;
  readyPattern?: RegExp;
  timeoutMs?: number;
}): Promise<Child> {
  const nodeArgs = [...options.args];
  const command = options.cpu === undefined ? process.execPath : 'taskset';
  const args =
    options.cpu === undefined
      ? nodeArgs
      : ['-c', String(options.cpu), process.execPath, ...nodeArgs];
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  const pattern = options.readyPattern ?? /READY (\S+)/;
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`child did not start in time: ${args.join(' ')}\n${output}`)),
      options.timeoutMs ?? 15_000,
    );
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = pattern.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1] ?? '');
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (data: Buffer) => {
      output += data.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited with ${code}: ${args.join(' ')}\n${output}`));
    });
  });
  // Keep draining its output so a chatty child never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

const benchDirectory = fileURLToPath(new URL('..', import.meta.url));

/** Starts the mock upstream (`lean` or the project's `emulator`) in its own process. */
export function startMock(options: { kind?: 'lean' | 'emulator'; cpu?: number | undefined } = {}) {
  return startNodeChild({
    args: [`${benchDirectory}lib/mock-server.ts`, '--kind', options.kind ?? 'lean'],
    cpu: options.cpu,
  });
}

/** Waits until `url` answers a GET (any status). */
export async function waitForHttp(url: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
